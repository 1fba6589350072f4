import { z } from "zod";

/**
 * The labeling app's side of a run (labeling.provider=builtin). The state machine's LabelImages state writes the
 * batch file (`labeling/<job>/batch.json`) and waits for its task token; the app labels the images of the batch's
 * input manifest and completes the token with a batch result (SendTaskSuccess), or fails it when a person rejects the
 * batch (SendTaskFailure with `LABELING_BATCH_REJECTED`). The result has the fields IngestLabels reads from a Ground
 * Truth job's, so everything after labeling is the same for both providers.
 */

const s3UriSchema = z.string().regex(/^s3:\/\/[^/]+\/.+/);

export const labelingBatchSchema = z.object({
  /** Step Functions' task token of the LabelImages state: at most 1024 characters. */
  taskToken: z.string().min(1).max(1024),
  /** The labeling job's name: the output's `job-name` and the label records' `labeling_job`. */
  jobName: z.string().regex(/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/),
  /** One `{"source-ref": ...}` line per image (PrepareLabelingJob). */
  manifestUri: s3UriSchema,
  /** Label categories in class-id order, Ground Truth's format. */
  categoriesUri: s3UriSchema,
  /** Where the output manifest goes: `<outputUri><job>/manifests/output/output.manifest`, as Ground Truth's. */
  outputUri: s3UriSchema,
  /** The execution waiting for the batch. */
  execution: z.string().min(1),
});
export type LabelingBatch = z.infer<typeof labelingBatchSchema>;

/** SendTaskSuccess's output: LabelImages' result, `$.labeling`. */
export const labelingBatchResultSchema = z.object({
  outputManifestUri: s3UriSchema,
  counters: z.object({
    total: z.number().int().nonnegative(),
    /** Images with at least one box. */
    withDefects: z.number().int().nonnegative(),
    /** Images marked "no defect": an empty box list. */
    noDefect: z.number().int().nonnegative(),
  }),
  /** Who labeled, as the app names them (each person's `--labeler`). */
  labelers: z.array(z.string()),
});
export type LabelingBatchResult = z.infer<typeof labelingBatchResultSchema>;

/** SendTaskFailure's error when a person rejects a batch (the cause is their reason). */
export const LABELING_BATCH_REJECTED = "LabelingBatchRejected";
