import { DATA_LAKE_PREFIXES } from "../contracts/dataLake";

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
    /** What ingestion accepted and rejected, line by line. */
    ingestReport: `${folder}ingest-report.json`,
  };
}

/** The Ground Truth label attribute of the bounding-box job, and the verification job's. */
export const LABEL_ATTRIBUTE = "boxes";
export const VERIFICATION_ATTRIBUTE = "boxes-verified";
/** Verification answers, in the order the verification template offers them. */
export const VERIFICATION_CHOICES = ["correct", "incorrect"] as const;
