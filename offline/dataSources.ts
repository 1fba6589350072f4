import { existsSync } from "node:fs";
import { copyFile, mkdir, readFile, readdir, writeFile } from "node:fs/promises";
import * as path from "node:path";
import { DATA_LAKE_PREFIXES, isImageKey } from "../contracts/dataLake";
import { imageIdFromKey, LabelRecord } from "../contracts/labelRecord";
import type { LabelStore } from "../lib/ports";
import { s3Uri } from "../lib/s3Uri";
import { convertExport, LabelRowError } from "../training/convertLabels";
import { filesBelow } from "../training/datasetFromLabels";
import type { FileObjectStore } from "./fileObjectStore";
import { GroundTruth, TrueLabel } from "./labelingWorkforce";
import { syntheticImage } from "./synthetic";
import { imageObjects } from "../lib/images";

/** The labeling job name on label records that the offline run puts into a new label store as earlier labels. */
export const EARLIER_LABELS_JOB = "earlier-labels-npm-start";

/** Where the synthetic parts go in the data lake. */
export const SYNTHETIC_PREFIX = `${DATA_LAKE_PREFIXES.images}synthetic/`;

export interface DataLakeSeed {
  /** One line for people: where the images came from. */
  source: string;
  /** Images in the data lake after seeding, and how many this run added. */
  images: number;
  added: number;
  /** Labels put into a new label store as earlier labels (first run only). */
  earlierLabels: number;
  /** Images the camera folder holds. */
  camera: number;
  /** Images of the source left out, and why. */
  skipped: string[];
}

export interface SeedContext {
  objects: FileObjectStore;
  labels: LabelStore;
  truth: GroundTruth;
  /** The edge device's camera folder. */
  cameraDir: string;
  /** Images per labeling job (`labeling.maxImagesPerJob`): how many arrive unlabeled. */
  batch: number;
  classes: string[];
}

/** A label record as an earlier labeling job would have stored it. */
function earlierLabel(key: string, bucket: string, label: TrueLabel, eventTime: number): LabelRecord {
  return {
    image_id: imageIdFromKey(key),
    event_time: eventTime,
    source_ref: s3Uri(bucket, key),
    image_width: label.width,
    image_height: label.height,
    image_depth: 3,
    annotations: JSON.stringify(label.annotations),
    labeling_job: EARLIER_LABELS_JOB,
    status: "APPROVED",
  };
}

async function storeEarlierLabels(context: SeedContext, labeled: { key: string; label: TrueLabel }[]): Promise<void> {
  const eventTime = Math.floor(Date.now() / 1000) - 86_400;
  for (const { key, label } of labeled)
    await context.labels.put(earlierLabel(key, context.objects.bucket, label, eventTime));
}

/**
 * Synthetic parts (`offline/synthetic.ts`). The first run writes `count` images; all but the newest `batch` come with
 * earlier labels, so this run's labeling job gets a full batch, as in a data lake with a history. Every later run adds
 * `batch` new images, as a camera would have delivered since. The camera folder gets `cameraCount` other parts.
 */
export async function seedSynthetic(
  context: SeedContext,
  { seed, count, cameraCount }: { seed: number; count: number; cameraCount: number },
): Promise<DataLakeSeed> {
  const { objects, truth, batch } = context;
  const existing: string[] = [];
  for await (const object of imageObjects(objects, SYNTHETIC_PREFIX)) existing.push(object.key);
  const first = existing.length === 0;
  const [from, to] = first ? [0, count] : [existing.length, existing.length + batch];
  const earlier: { key: string; label: TrueLabel }[] = [];
  for (let index = from; index < to; index++) {
    const image = await syntheticImage(seed, index);
    const key = `${SYNTHETIC_PREFIX}${image.name}`;
    const label = { width: image.width, height: image.height, annotations: image.annotations };
    await objects.write(key, image.jpeg, "image/jpeg");
    truth.add(image.jpeg, label);
    if (first && index < count - batch) earlier.push({ key, label });
  }
  if (first) await storeEarlierLabels(context, earlier);

  // Parts on the line now: another seed, never in the data lake until a device sends them.
  await mkdir(context.cameraDir, { recursive: true });
  for (let index = 0; index < cameraCount; index++) {
    const image = await syntheticImage(seed + 1, index);
    await writeFile(path.join(context.cameraDir, image.name), image.jpeg);
    truth.add(image.jpeg, { width: image.width, height: image.height, annotations: image.annotations });
  }
  await truth.save();
  return {
    source: `synthetic parts (seed ${seed}) under ${SYNTHETIC_PREFIX}`,
    images: existing.length + (to - from),
    added: to - from,
    earlierLabels: earlier.length,
    camera: cameraCount,
    skipped: [],
  };
}

/**
 * A real dataset folder in the layout of `../shared/datasets/scratches`: `images/` and `labels/labels.csv` (a Feature
 * Store export, read with the label converter). Each labeled image goes to `images/<path under images/>` in the data
 * lake — the key whose image id the export's label belongs to; images without a label are left out, since the local
 * workforce could not label them. On the first run all but the last `batch` labeled images come with their labels
 * from the export. The camera folder gets `sample_images/` when the dataset has one, else its last images.
 */
export async function seedDataset(context: SeedContext, datasetDir: string): Promise<DataLakeSeed> {
  const { objects, truth, batch } = context;
  const imagesDir = path.join(datasetDir, "images");
  const labelsFile = path.join(datasetDir, "labels", "labels.csv");
  for (const required of [imagesDir, labelsFile]) {
    if (!existsSync(required))
      throw new Error(`--dataset ${datasetDir}: ${required} is missing (expected images/ and labels/labels.csv)`);
  }
  const files = filesBelow(imagesDir);
  let conversion;
  try {
    conversion = convertExport(await readFile(labelsFile, "utf8"), files, {
      datasetId: "offline",
      classes: context.classes,
      fractions: { train: 0.8, validation: 0.1, test: 0.1 },
      createdAt: new Date(),
    });
  } catch (error) {
    if (error instanceof LabelRowError) throw new Error(`--dataset ${labelsFile}, ${error.message}`, { cause: error });
    throw error;
  }
  const labeled = new Set(conversion.images.map((image) => image.imageFile));
  const unlabeled = [...files].filter(
    (file) => isImageKey(`${DATA_LAKE_PREFIXES.images}${file}`) && !labeled.has(file),
  );

  const first = !(await hasImages(objects));
  const images = [...conversion.images].sort((a, b) => a.imageFile.localeCompare(b.imageFile));
  const earlier: { key: string; label: TrueLabel }[] = [];
  let added = 0;
  for (const [i, image] of images.entries()) {
    const key = `${DATA_LAKE_PREFIXES.images}${image.imageFile}`;
    const bytes = await readFile(path.join(imagesDir, image.imageFile));
    const label = { width: image.record.width, height: image.record.height, annotations: image.record.annotations };
    truth.add(bytes, label);
    if (await objects.head(key)) continue;
    await objects.write(key, bytes, "image/jpeg");
    added += 1;
    if (first && i < images.length - batch) earlier.push({ key, label });
  }
  if (first) await storeEarlierLabels(context, earlier);

  await mkdir(context.cameraDir, { recursive: true });
  const samples = path.join(datasetDir, "sample_images");
  const camera = existsSync(samples)
    ? (await readdir(samples)).filter((f) => /\.(jpe?g|png)$/i.test(f)).map((f) => path.join(samples, f))
    : images.slice(-20).map((image) => path.join(imagesDir, image.imageFile));
  for (const file of camera) await copyFile(file, path.join(context.cameraDir, path.basename(file)));
  await truth.save();
  return {
    source: `${path.resolve(datasetDir)} (labels: ${path.relative(datasetDir, labelsFile)})`,
    images: images.length,
    added,
    earlierLabels: earlier.length,
    camera: camera.length,
    skipped: unlabeled.map((file) => `${file}: no label in labels.csv`),
  };
}

async function hasImages(objects: FileObjectStore): Promise<boolean> {
  return !(await imageObjects(objects, DATA_LAKE_PREFIXES.images).next()).done;
}
