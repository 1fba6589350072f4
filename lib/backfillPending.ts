import { imageIdFromKey } from "../contracts/labelRecord";
import { imageObjects } from "./images";
import { markPending, pendingImages } from "./pendingImages";
import type { LabelStore, ObjectStore } from "./ports";
import { chunked } from "./streams";

export interface BackfillResult {
  /** Images stored under the prefix. */
  images: number;
  /** Of those, images with an approved label: nothing to do. */
  labeled: number;
  /** Images already in the pending index. */
  alreadyPending: number;
  /** Images recorded in the index now (or that would be, on a dry run). */
  marked: number;
}

/**
 * The one-off backfill of the pending index (lib/pendingImages.ts) for images stored before it existed (a migrated
 * lake): lists every image under the prefix once, and records those without an approved label that the index does
 * not hold yet. Costs what the whole lake costs to list and look up, once; every run after it costs what is new.
 * Running it twice records nothing the second time.
 */
export async function backfillPending(
  { objects, labels }: { objects: ObjectStore; labels: LabelStore },
  imagesPrefix: string,
  { dryRun = false, batchSize = 1000 }: { dryRun?: boolean; batchSize?: number } = {},
): Promise<BackfillResult> {
  const pending = new Set<string>();
  for await (const image of pendingImages(objects, imagesPrefix)) pending.add(image.key);
  const result: BackfillResult = { images: 0, labeled: 0, alreadyPending: 0, marked: 0 };
  let batch: string[] = [];
  const flush = async () => {
    for (const keys of chunked(batch, batchSize)) {
      const lookup = await labels.get(keys.map(imageIdFromKey));
      for (const key of keys) {
        if (lookup.found.get(imageIdFromKey(key))?.status === "APPROVED") result.labeled += 1;
        else if (pending.has(key)) result.alreadyPending += 1;
        else {
          result.marked += 1;
          if (!dryRun) await markPending(objects, key);
        }
      }
    }
    batch = [];
  };
  // In batches, so a lake of millions of images is never held in memory at once.
  for await (const image of imageObjects(objects, imagesPrefix)) {
    result.images += 1;
    batch.push(image.key);
    if (batch.length >= batchSize) await flush();
  }
  await flush();
  return result;
}
