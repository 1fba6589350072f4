/**
 * The data lake's layout: one bucket, one prefix per kind of data. Every part (Pulumi components, IAM policies,
 * Lambdas, the offline run) takes its prefixes from here; `docs/contracts.md` explains each.
 */
export const DATA_LAKE_PREFIXES = {
  /** Images waiting to be labeled, and labeled ones: images never move; the label store knows which are labeled. */
  images: "images/",
  /** Ground Truth jobs, one folder each: input manifest, label categories, job output. */
  labeling: "labeling/",
  /** Feature Store offline store of the label feature group (written by SageMaker). */
  labelStoreOffline: "feature-store/",
  /** Dataset builds, one folder each: split manifests and a summary. */
  datasets: "datasets/",
  /** Training source bundles. */
  trainingCode: "code/",
  /** Training job outputs (model artifacts, metrics). */
  models: "models/",
  /** Compiled or optimised models, one folder per model version. */
  compiled: "compiled/",
  /** Greengrass component artifacts. */
  components: "components/",
  /** Scratch space; objects expire after `dataLake.tmpExpirationDays`. */
  tmp: "tmp/",
} as const;

export type DataLakePrefix = keyof typeof DATA_LAKE_PREFIXES;

const IMAGE_EXTENSIONS = [".jpg", ".jpeg", ".png"];

/** Whether an object key names an image the pipeline can label and train on. */
export function isImageKey(key: string): boolean {
  const lower = key.toLowerCase();
  return lower.startsWith(DATA_LAKE_PREFIXES.images) && IMAGE_EXTENSIONS.some((ext) => lower.endsWith(ext));
}
