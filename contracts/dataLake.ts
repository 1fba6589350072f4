import { THING_NAME } from "./awsNames";

/**
 * The data lake's layout: one bucket, one prefix per kind of data. Every part (Pulumi components, IAM policies,
 * Lambdas, the offline run) takes its prefixes from here; `docs/contracts.md` explains each.
 */
export const DATA_LAKE_PREFIXES = {
  /** Images waiting to be labeled, and labeled ones: images never move; the label store knows which are labeled. */
  images: "images/",
  /**
   * The pending index: one empty marker `pending/<image key>` per image that arrived and has no approved label yet,
   * written as it arrives (S3 event → EventBridge → the new-images function), so a run lists what is new, not what is
   * stored (docs/decisions.md, "A run costs what is new").
   */
  pending: "pending/",
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
  /** Inspection results and edge errors as the fleet published them, partitioned by day and device (resultsLayout.ts). */
  results: "results/",
  /** Records Firehose could not deliver under `results/` (bad JSON, no partition keys), kept for a person to read. */
  resultsUndelivered: "results-undelivered/",
  /** Triggered runs that found the pipeline busy, one JSON record each, started when the busy run ends. */
  runQueue: "run-queue/",
  /** Each device's latest detector result, `<thing name>.json`, as an IoT rule stores it from the results topic. */
  deviceResults: "device-results/",
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

/**
 * Where edge devices send back images for labeling: `images/devices/<thing name>/`. Under `images/`, so the pipeline's
 * FindUnlabeledImages picks them up like any other image; one folder per device, so the token exchange role can let
 * a device write only its own.
 */
export const DEVICE_IMAGES_PREFIX = `${DATA_LAKE_PREFIXES.images}devices/`;

/** Longest file name part kept in a key (S3 keys may be 1024 bytes; names this long are unusual anyway). */
const MAX_NAME_LENGTH = 120;

export class DeviceImageKeyError extends Error {
  override name = "DeviceImageKeyError";
}

/** `images/devices/<thing name>/`: the folder of one device. */
export function deviceImagesPrefix(thingName: string): string {
  if (!THING_NAME.test(thingName)) {
    throw new DeviceImageKeyError(
      `thingName must be 1 to 128 letters, digits or :_- (got ${JSON.stringify(thingName)})`,
    );
  }
  return `${DEVICE_IMAGES_PREFIX}${thingName}/`;
}

export interface DeviceImage {
  thingName: string;
  /** When the image was inspected (the result message's `timestamp`). */
  inspectedAt: Date;
  /** The camera's file name, e.g. `part-001.jpg`; its extension must be an image extension. */
  imageName: string;
  /** The result message's `messageId` (UUID): makes the key unique and links the image to its result. */
  messageId: string;
}

/**
 * The data lake key of an image a device sends back:
 * `images/devices/<thing>/<YYYY-MM-DD>/<HHMMSS.mmm>Z-<first 8 hex digits of messageId>-<image name>`, in UTC.
 * Cameras reuse file names, so the name alone would overwrite; the time sorts a day's images and the message id keeps
 * two inspections in the same millisecond (or after a clock reset) apart. Characters other than letters, digits,
 * `.`, `_` and `-` in the name become `_`, so keys need no escaping in URIs and manifests.
 */
export function deviceImageKey(image: DeviceImage): string {
  const { inspectedAt, imageName, messageId } = image;
  const prefix = deviceImagesPrefix(image.thingName);
  if (Number.isNaN(inspectedAt.getTime())) throw new DeviceImageKeyError("inspectedAt must be a valid time");
  const id = messageId.replace(/-/g, "").slice(0, 8).toLowerCase();
  if (!/^[0-9a-f]{8}$/.test(id)) {
    throw new DeviceImageKeyError(`messageId must be a UUID (got ${JSON.stringify(messageId)})`);
  }
  const extension = IMAGE_EXTENSIONS.find((ext) => imageName.toLowerCase().endsWith(ext));
  if (!extension || imageName.includes("/")) {
    throw new DeviceImageKeyError(
      `imageName must be a file name ending in ${IMAGE_EXTENSIONS.join(", ")} (got ${JSON.stringify(imageName)})`,
    );
  }
  const stem = imageName
    .slice(0, -extension.length)
    .replace(/[^A-Za-z0-9._-]/g, "_")
    .slice(0, MAX_NAME_LENGTH);
  const safeName = `${stem}${imageName.slice(-extension.length)}`;
  const iso = inspectedAt.toISOString(); // 2026-11-29T18:53:00.123Z
  const day = iso.slice(0, 10);
  const time = `${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 23)}Z`;
  return `${prefix}${day}/${time}-${id}-${safeName}`;
}
