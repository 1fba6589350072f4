import { z } from "zod";
import { DATA_LAKE_PREFIXES } from "../../contracts/dataLake";
import {
  DatasetSummary,
  DEFAULT_SPLIT_FRACTIONS,
  Split,
  SPLITS,
  SplitFractions,
  splitFractionsSchema,
} from "../../contracts/dataset";
import { DatasetTooFewBoxesError, DatasetTooSmallError } from "../../lib/errors";
import { parseEvent } from "../shared/events";
import type { LabelStore, Log, ObjectStore } from "../../lib/ports";
import { datasetKeys } from "../shared/datasets";
import { imageObjects } from "../../lib/images";
import { runSelection } from "../shared/selection";
import { DatasetWriter } from "./datasetWriter";
import { approvedRecords, SplitEngine, splitByQuery } from "./querySplit";

export const buildDatasetEventSchema = z.object({
  datasetId: z.string().regex(/^[a-z0-9][a-z0-9-]*$/),
  classes: z.array(z.string().min(1)).min(1),
  minImages: z.number().int().positive(),
  /** Boxes all splits together must hold (config `dataset.minBoxes`). */
  minBoxes: z.number().int().positive().default(1),
  fractions: splitFractionsSchema.default(DEFAULT_SPLIT_FRACTIONS),
  /** Above this many images the query engine builds the split (config `dataset.athenaAboveImages`). */
  athenaAboveImages: z.number().int().positive().optional(),
  /** The run's labeling job: its selection's labels are read from the label store, which has them first. */
  labelingJobName: z.string().min(1).optional(),
});
export type BuildDatasetEvent = z.input<typeof buildDatasetEventSchema>;

type PerSplit<T> = Record<Split, T>;

export interface BuildDatasetResult {
  datasetId: string;
  summaryKey: string;
  /** S3 URIs of the ManifestFile of each training channel. */
  channels: PerSplit<string>;
  counts: PerSplit<number>;
  boxes: PerSplit<number>;
  /** The class names, comma-separated, as the training job's `class-names` hyperparameter takes them. */
  classNames: string;
  labelsHash: string;
  /** Approved labels left out because a box's class id is not one of the configured classes. */
  skipped: number;
  /** Who split the labels: this function (a lake up to `athenaAboveImages`) or the query engine. */
  splitBy: "lambda" | "query";
}

export interface BuildDatasetDeps {
  objects: ObjectStore;
  labels: LabelStore;
  log: Log;
  now?: () => Date;
  /**
   * Where given, the split comes from this engine's query over the label store's table (Athena over the feature
   * group's offline store; DuckDB offline) instead of listing the lake and reading every label in this Lambda.
   */
  splitEngine?: SplitEngine;
}

/**
 * Builds a training dataset from every approved label: splits the images by image id (stable as the data grows),
 * writes one `annotations.jsonl` per split, and one SageMaker ManifestFile per split whose prefix is the bucket root
 * and whose entries are the annotations file and the images in place — the training job downloads them; nothing is
 * copied here. Refuses datasets below the configured minimum.
 */
export async function buildDataset(event: unknown, deps: BuildDatasetDeps): Promise<BuildDatasetResult> {
  const { objects, labels, log } = deps;
  const parsed = parseEvent(buildDatasetEventSchema, event);
  const { datasetId, classes, minImages, minBoxes, fractions } = parsed;
  // Lists the lake only up to the threshold: past it, the engine reads the labels and the listing stops.
  const limit = deps.splitEngine ? (parsed.athenaAboveImages ?? Infinity) : Infinity;
  const inLambda = await splitInLambda(objects, labels, fractions, limit);
  const fresh = async () => (parsed.labelingJobName ? runSelection(objects, parsed.labelingJobName) : []);
  // Both arrive ordered by image id, which the writer's label hash needs.
  const labeled = inLambda ?? splitByQuery(deps.splitEngine!, labels, objects.bucket, fractions, await fresh());
  const splitBy = inLambda ? "lambda" : "query";

  const writer = new DatasetWriter(objects, datasetId);
  let skipped = 0;
  let hash: string;
  try {
    for await (const { record, split } of labeled) {
      if (record.annotations.some((box) => box.class_id >= classes.length)) skipped += 1;
      else await writer.add(record, split);
    }
    refuseTooSmall(writer.counts, minImages);
    refuseWithoutBoxes(writer.counts, writer.boxes, minBoxes);
    hash = await writer.close();
  } catch (error) {
    await writer.abort();
    throw error;
  }

  const { counts, boxes, channels } = writer;
  const paths = datasetKeys(datasetId);
  const summary: DatasetSummary = {
    schemaVersion: 1,
    datasetId,
    createdAt: (deps.now?.() ?? new Date()).toISOString(),
    classes,
    fractions,
    counts,
    boxes,
    labelsHash: hash,
  };
  await objects.write(paths.summary, JSON.stringify(summary, null, 2), "application/json");
  if (skipped > 0) log.warn("labels with unknown class ids left out", { skipped, classes });
  log.info("dataset built", { datasetId, counts, boxes, labelsHash: hash, splitBy });
  return {
    datasetId,
    summaryKey: paths.summary,
    channels,
    counts,
    boxes,
    classNames: classes.join(","),
    labelsHash: hash,
    skipped,
    splitBy,
  };
}

function refuseTooSmall(counts: PerSplit<number>, minImages: number): void {
  const total = counts.train + counts.validation + counts.test;
  if (total < minImages || counts.train === 0 || counts.validation === 0) {
    throw new DatasetTooSmallError(
      `the label store has ${total} approved labeled images (train ${counts.train}, validation ${counts.validation}, ` +
        `test ${counts.test}); training needs at least ${minImages} (dataset.minImages) with train and validation non-empty`,
    );
  }
}

/** Small lakes: list every image, read its label, split here; undefined when the lake holds more than `limit`. */
async function splitInLambda(objects: ObjectStore, labels: LabelStore, fractions: SplitFractions, limit: number) {
  const keys: string[] = [];
  for await (const object of imageObjects(objects, DATA_LAKE_PREFIXES.images)) {
    if (keys.length >= limit) return undefined;
    keys.push(object.key);
  }
  return approvedRecords(labels, keys, fractions);
}

/** What a split without a single box would do to the run. */
const WITHOUT_BOXES: PerSplit<string> = {
  train: "the model would have nothing to learn",
  validation: "the quality gate would measure nothing",
  test: "its metrics would mean nothing",
};

/**
 * Stops the run before training when the labels hold fewer boxes than `dataset.minBoxes`, or when a split that holds
 * images (train and validation always do by now) has no image with a box: a training job would cost money for a model
 * that detects nothing, or metrics that mean nothing.
 */
function refuseWithoutBoxes(counts: PerSplit<number>, boxes: PerSplit<number>, minBoxes: number): void {
  const perSplit = SPLITS.map((split) => `${split} ${boxes[split]}`).join(", ");
  const total = boxes.train + boxes.validation + boxes.test;
  if (total < minBoxes) {
    throw new DatasetTooFewBoxesError(
      `the approved labels hold ${total} boxes (${perSplit}); training needs at least ${minBoxes} (dataset.minBoxes): ` +
        "images without boxes teach a detector nothing to find",
    );
  }
  for (const split of SPLITS) {
    if (counts[split] > 0 && boxes[split] === 0) {
      throw new DatasetTooFewBoxesError(
        `the ${split} split has ${counts[split]} images and not one box (boxes: ${perSplit}): ` +
          `${WITHOUT_BOXES[split]}; label more images with defects`,
      );
    }
  }
}
