import { DATA_LAKE_PREFIXES } from "../contracts/dataLake";
import type { Annotation } from "../contracts/labelRecord";

/**
 * Where one labeling job's files live in the data lake: everything under `labeling/<job>/`, so a job can be inspected
 * (or deleted) as one folder. Shared by the Lambdas that write and read them and by the state machine definition.
 */
export function labelingJobKeys(jobName: string) {
  const folder = `${DATA_LAKE_PREFIXES.labeling}${jobName}/`;
  return {
    folder,
    /** The images chosen for the job (`FindUnlabeledImages`). */
    selection: `${folder}selection.json`,
    /** Ground Truth input manifest: one `{"source-ref": ...}` line per image. */
    inputManifest: `${folder}input.manifest`,
    categories: `${folder}categories.json`,
    uiTemplate: `${folder}bounding-box.liquid.html`,
    verificationCategories: `${folder}verification-categories.json`,
    verificationUiTemplate: `${folder}verification.liquid.html`,
    /** Ground Truth writes its output under here (`<output>/<job>/manifests/output/output.manifest`). */
    output: `${folder}output/`,
    verificationOutput: `${folder}verification-output/`,
    /** The labeling app's batch (labeling.provider=builtin): the task token and the job's files. */
    batch: `${folder}batch.json`,
    /** The labeling app's claims on images (who labels which, until when), one object per image id. */
    claims: `${folder}app/claims/`,
    /** The labels people saved in the labeling app, one object per image id. */
    saved: `${folder}app/labels/`,
    /** How the labeling app's batch ended (finished or rejected), written once. */
    end: `${folder}app/end.json`,
    /** What ingestion accepted and rejected, line by line. */
    ingestReport: `${folder}ingest-report.json`,
  };
}

/** The Ground Truth label attribute of the bounding-box job, and the verification job's. */
export const LABEL_ATTRIBUTE = "boxes";
export const VERIFICATION_ATTRIBUTE = "boxes-verified";
/** Verification answers, in the order the verification template offers them. */
export const VERIFICATION_CHOICES = ["correct", "incorrect"] as const;

/** Where Ground Truth writes a job's output manifest, under the job's S3OutputPath. */
export const groundTruthOutputUri = (outputPath: string, jobName: string) =>
  `${outputPath.replace(/\/?$/, "/")}${jobName}/manifests/output/output.manifest`;

/** Ground Truth's creation dates: ISO 8601 without a zone, microseconds. */
export const groundTruthCreationDate = (now: Date) => `${now.toISOString().slice(0, 23)}000`;

/** What one labeled image says: its size and its boxes (none: no defect). */
export interface BoxLabel {
  width: number;
  height: number;
  annotations: Annotation[];
}

/**
 * One line of a Ground Truth bounding-box output manifest: the input entry, the label under `attribute` and its
 * metadata, in the documented format IngestLabels reads.
 */
export function boundingBoxOutputLine(
  entry: Record<string, unknown>,
  label: BoxLabel,
  job: { attribute: string; name: string; classNames: readonly string[]; creationDate: string; confidence: number },
): string {
  const { width, height, annotations } = label;
  return JSON.stringify({
    ...entry,
    [job.attribute]: { image_size: [{ width, height, depth: 3 }], annotations },
    [`${job.attribute}-metadata`]: {
      objects: annotations.map(() => ({ confidence: job.confidence })),
      "class-map": Object.fromEntries(job.classNames.map((label, i) => [String(i), label])),
      type: "groundtruth/object-detection",
      "job-name": `labeling-job/${job.name}`,
      "human-annotated": "yes",
      "creation-date": job.creationDate,
    },
  });
}
