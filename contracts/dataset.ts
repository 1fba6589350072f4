import { createHash } from "node:crypto";
import { z } from "zod";
import { annotationSchema, LabelRecord } from "./labelRecord";

/**
 * The training dataset: what the pipeline's dataset build writes and `training/train.py` reads.
 *
 * A split is a directory (a SageMaker channel, or a local folder) holding exactly one `annotations.jsonl` somewhere
 * below it; each line is a `DatasetRecord` whose `image` is a path relative to that directory. In SageMaker the
 * channel is a ManifestFile listing the annotations file and the images in place, so no image is ever copied.
 */
export const SPLITS = ["train", "validation", "test"] as const;
export type Split = (typeof SPLITS)[number];

export const ANNOTATIONS_FILE = "annotations.jsonl";
export const SUMMARY_FILE = "summary.json";

/** A relative path that stays inside its directory. */
const relativePath = z
  .string()
  .min(1)
  .refine((p) => !p.startsWith("/") && !p.split("/").includes(".."), "must be a relative path inside the split");

export const datasetRecordSchema = z.object({
  /** Image path relative to the split directory, e.g. `images/bad/part-001.jpg`. */
  image: relativePath,
  image_id: z.string().regex(/^[0-9a-f]{32}$/),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  /** Boxes in pixels of the image, Ground Truth convention; empty for a defect-free image. */
  annotations: z.array(annotationSchema),
});
export type DatasetRecord = z.infer<typeof datasetRecordSchema>;

export const splitFractionsSchema = z
  .object({ train: z.number().min(0).max(1), validation: z.number().min(0).max(1), test: z.number().min(0).max(1) })
  .refine((f) => Math.abs(f.train + f.validation + f.test - 1) < 1e-9, "fractions must add up to 1");
export type SplitFractions = z.infer<typeof splitFractionsSchema>;

export const DEFAULT_SPLIT_FRACTIONS: SplitFractions = { train: 0.8, validation: 0.1, test: 0.1 };

/** Fractions written as `train,validation,test` (`0.8,0.1,0.1`); `what` names the option or key in messages. */
export const splitFractionsText = (what: string) =>
  z
    .string()
    .transform((s) => s.split(",").map(Number))
    .refine((f) => f.length === 3 && f.every((x) => Number.isFinite(x) && x >= 0), {
      message: `${what} must be three numbers train,validation,test (e.g. 0.8,0.1,0.1)`,
    })
    .transform(([train, validation, test]): SplitFractions => ({ train, validation, test }))
    .refine((f) => Math.abs(f.train + f.validation + f.test - 1) < 1e-9, `${what} must add up to 1`);

/**
 * How a dataset's images were split. `image-id-hash`: each image by `splitOf` (the pipeline's split: stable as the
 * data grows). `stratified`: by `stratifiedSplit` with this seed, so each split holds the same share of images with
 * boxes and of images without (the evaluation protocol of the demo model, training/README.md).
 */
export const splitMethodSchema = z.discriminatedUnion("method", [
  z.object({ method: z.literal("image-id-hash") }),
  z.object({ method: z.literal("stratified"), seed: z.number().int().nonnegative() }),
]);
export type SplitMethod = z.infer<typeof splitMethodSchema>;

/** `summary.json` at the dataset's root: what went where, for people and for the pipeline's output. */
export const datasetSummarySchema = z.object({
  schemaVersion: z.literal(1),
  datasetId: z.string().min(1),
  createdAt: z.iso.datetime(),
  /** Class names; a box's `class_id` indexes this list. */
  classes: z.array(z.string().min(1)).min(1),
  fractions: splitFractionsSchema,
  /** Absent in summaries written before it existed: those were split by image id hash. */
  split: splitMethodSchema.optional(),
  counts: z.object({ train: z.number().int(), validation: z.number().int(), test: z.number().int() }),
  boxes: z.object({ train: z.number().int(), validation: z.number().int(), test: z.number().int() }),
  /** SHA-256 over the sorted image ids and their annotations: equal hashes mean equal training data. */
  labelsHash: z.string().regex(/^[0-9a-f]{64}$/),
});
export type DatasetSummary = z.infer<typeof datasetSummarySchema>;

/**
 * The split of one image, from its id alone: stable as the dataset grows (adding images never moves old ones) and
 * the same everywhere it is computed.
 */
export function splitOf(imageId: string, fractions: SplitFractions = DEFAULT_SPLIT_FRACTIONS): Split {
  const bucket = parseInt(createHash("sha256").update(`split:${imageId}`).digest("hex").slice(0, 8), 16) / 2 ** 32;
  if (bucket < fractions.train) return "train";
  if (bucket < fractions.train + fractions.validation) return "validation";
  return "test";
}

/**
 * A fixed, seeded split stratified by whether an image has boxes: within each stratum the images are ordered by a
 * seeded hash of their id, the first `ceil(n × test)` go to test (so test is never below its fraction), the next
 * `round(n × validation)` to validation, the rest to train. Unlike `splitOf`, adding images may move others, so it
 * suits a fixed dataset to evaluate on, not a growing one.
 */
export function stratifiedSplit(
  records: readonly Pick<DatasetRecord, "image_id" | "annotations">[],
  fractions: SplitFractions,
  seed: number,
): Map<string, Split> {
  const rank = (id: string) => createHash("sha256").update(`stratified-split:${seed}:${id}`).digest("hex");
  const splits = new Map<string, Split>();
  for (const positive of [true, false]) {
    const stratum = records
      .filter((record) => record.annotations.length > 0 === positive)
      .map((record) => ({ id: record.image_id, rank: rank(record.image_id) }))
      .sort((a, b) => a.rank.localeCompare(b.rank) || a.id.localeCompare(b.id));
    const test = Math.min(stratum.length, Math.ceil(stratum.length * fractions.test - 1e-9));
    const validation = Math.min(stratum.length - test, Math.round(stratum.length * fractions.validation));
    stratum.forEach(({ id }, i) => splits.set(id, i < test ? "test" : i < test + validation ? "validation" : "train"));
  }
  return splits;
}

/** The `labelsHash` of a set of records, independent of their order. */
export function labelsHash(records: Pick<DatasetRecord, "image_id" | "annotations">[]): string {
  const hash = new LabelsHasher();
  for (const record of [...records].sort((a, b) => a.image_id.localeCompare(b.image_id))) hash.add(record);
  return hash.digest();
}

/**
 * `labelsHash` of records that arrive one at a time, already ordered by image id (a query's `ORDER BY image_id`:
 * for ids of lowercase hex digits, byte order and `localeCompare` agree); one out of order is an error.
 */
export class LabelsHasher {
  private readonly hash = createHash("sha256");
  private last: string | undefined;

  add(record: Pick<DatasetRecord, "image_id" | "annotations">): void {
    if (this.last !== undefined && this.last.localeCompare(record.image_id) > 0) {
      throw new Error(`labelsHash needs records ordered by image id: ${record.image_id} came after ${this.last}`);
    }
    this.last = record.image_id;
    this.hash.update(`${record.image_id}:${JSON.stringify(record.annotations)}\n`);
  }

  digest(): string {
    return this.hash.digest("hex");
  }
}

/** The dataset line of one labeled image; `image` is where the image sits relative to the split directory. */
export function toDatasetRecord(label: LabelRecord, image: string): DatasetRecord {
  return datasetRecordSchema.parse({
    image,
    image_id: label.image_id,
    width: label.image_width,
    height: label.image_height,
    annotations: JSON.parse(label.annotations),
  });
}
