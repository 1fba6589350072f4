import { z } from "zod";
import { DATA_LAKE_PREFIXES } from "../../contracts/dataLake";
import { parseEvent } from "../shared/events";
import { labelingJobKeys } from "../../lib/labeling";
import type { LabelStore, Log, ObjectStore } from "../../lib/ports";
import { unlabeledPending } from "../../lib/pendingImages";

export const findUnlabeledImagesEventSchema = z.object({
  imagesPrefix: z.string().startsWith(DATA_LAKE_PREFIXES.images),
  maxImages: z.number().int().positive(),
  labelingJobName: z.string().min(1),
});
export type FindUnlabeledImagesEvent = z.input<typeof findUnlabeledImagesEventSchema>;

export interface FindUnlabeledImagesResult {
  /** Images the pending index lists under the prefix (new since they were last labeled). */
  images: number;
  /** Of those, images with an approved label by now (their markers are removed). */
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

/**
 * Reads the pending index under a prefix (lib/pendingImages.ts: what arrived, not everything stored), asks the label
 * store which of those images still lack a usable label, and picks a batch, longest-waiting first.
 */
export async function findUnlabeledImages(
  event: unknown,
  deps: FindUnlabeledImagesDeps,
): Promise<FindUnlabeledImagesResult> {
  const { objects, log } = deps;
  const { imagesPrefix, maxImages, labelingJobName } = parseEvent(findUnlabeledImagesEventSchema, event);
  const pending = await unlabeledPending(deps, imagesPrefix);
  const selected = pending.unlabeled.slice(0, maxImages).map((image) => image.key);
  let selectionKey: string | null = null;
  if (selected.length > 0) {
    selectionKey = labelingJobKeys(labelingJobName).selection;
    await objects.write(selectionKey, JSON.stringify(selected), "application/json");
  }
  const result = {
    images: pending.listed,
    labeled: pending.cleared,
    unlabeled: pending.unlabeled.length,
    selected: selected.length,
    selectionKey,
  };
  log.info("unlabeled images", { imagesPrefix, ...result });
  return result;
}
