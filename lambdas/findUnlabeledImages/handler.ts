import { z } from "zod";
import { DATA_LAKE_PREFIXES } from "../../contracts/dataLake";
import { imageIdFromKey } from "../../contracts/labelRecord";
import { parseEvent } from "../shared/events";
import { labelingJobKeys } from "../../lib/labeling";
import type { LabelStore, Log, ObjectStore, StoredObject } from "../../lib/ports";
import { imageObjects } from "../../lib/images";

export const findUnlabeledImagesEventSchema = z.object({
  imagesPrefix: z.string().startsWith(DATA_LAKE_PREFIXES.images),
  maxImages: z.number().int().positive(),
  labelingJobName: z.string().min(1),
});
export type FindUnlabeledImagesEvent = z.input<typeof findUnlabeledImagesEventSchema>;

export interface FindUnlabeledImagesResult {
  /** Images found under the prefix. */
  images: number;
  /** Of those, images with an approved label. */
  labeled: number;
  /** Images without a usable label: no record, a REJECTED one, or one that breaks the label contract. */
  unlabeled: number;
  /** Images chosen for the labeling job (at most `maxImages`, longest-waiting first). */
  selected: number;
  /** Data lake key of the chosen images (a JSON array of keys); null when none was chosen. */
  selectionKey: string | null;
}

export interface FindUnlabeledImagesDeps {
  objects: ObjectStore;
  labels: LabelStore;
  log: Log;
}

/** Lists the images under a prefix, asks the label store which of them lack a usable label, and picks a batch. */
export async function findUnlabeledImages(
  event: unknown,
  { objects, labels, log }: FindUnlabeledImagesDeps,
): Promise<FindUnlabeledImagesResult> {
  const { imagesPrefix, maxImages, labelingJobName } = parseEvent(findUnlabeledImagesEventSchema, event);
  const images: StoredObject[] = [];
  for await (const object of imageObjects(objects, imagesPrefix)) images.push(object);

  const ids = images.map((image) => imageIdFromKey(image.key));
  const lookup = await labels.get(ids);
  const unlabeled = images.filter((_, i) => lookup.found.get(ids[i])?.status !== "APPROVED");
  if (lookup.invalid.size > 0) {
    log.warn("stored labels that break the label contract are labeled again", {
      count: lookup.invalid.size,
      examples: [...lookup.invalid.entries()].slice(0, 5),
    });
  }

  // Oldest first: images that have waited longest get labeled first; the key breaks ties deterministically.
  const selected = unlabeled
    .sort((a, b) => a.lastModified.getTime() - b.lastModified.getTime() || a.key.localeCompare(b.key))
    .slice(0, maxImages)
    .map((image) => image.key);
  let selectionKey: string | null = null;
  if (selected.length > 0) {
    selectionKey = labelingJobKeys(labelingJobName).selection;
    await objects.write(selectionKey, JSON.stringify(selected), "application/json");
  }
  const result = {
    images: images.length,
    labeled: images.length - unlabeled.length,
    unlabeled: unlabeled.length,
    selected: selected.length,
    selectionKey,
  };
  log.info("unlabeled images", { imagesPrefix, ...result });
  return result;
}
