import { DATA_LAKE_PREFIXES, isImageKey } from "../contracts/dataLake";
import { imageIdFromKey } from "../contracts/labelRecord";
import type { LabelStore, Log, ObjectStore, StoredObject } from "./ports";

/**
 * The pending index (docs/decisions.md, "A run costs what is new"): an empty marker object `pending/<image key>` for
 * each image that arrived and has no approved label yet. Markers are written when an image arrives (the new-images
 * function, or the one-off backfill) and removed once the label store holds an approved label for the image, so
 * listing them costs what is pending, not what is stored. A marker's time is when the image was recorded.
 */
const PREFIX = DATA_LAKE_PREFIXES.pending;

export class NotAnImageKeyError extends Error {
  override name = "NotAnImageKeyError";
}

/** The marker key of an image key. */
export function pendingKey(imageKey: string): string {
  if (!isImageKey(imageKey)) throw new NotAnImageKeyError(`not an image key: ${JSON.stringify(imageKey)}`);
  return `${PREFIX}${imageKey}`;
}

/** Records an image as pending (idempotent: a second marker overwrites the first). */
export async function markPending(objects: ObjectStore, imageKey: string): Promise<void> {
  await objects.write(pendingKey(imageKey), "", "application/x-empty");
}

/** Takes images out of the index (they have an approved label now); images that were not in it are no error. */
export async function clearPending(objects: ObjectStore, imageKeys: readonly string[]): Promise<void> {
  const markers = imageKeys.filter(isImageKey).map(pendingKey);
  if (markers.length > 0) await objects.delete(markers);
}

/** The pending images under an images prefix, as image objects: the image's key, the marker's time. */
export async function* pendingImages(objects: ObjectStore, imagesPrefix: string): AsyncGenerator<StoredObject> {
  for await (const marker of objects.list(`${PREFIX}${imagesPrefix}`)) {
    const key = marker.key.slice(PREFIX.length);
    if (isImageKey(key)) yield { key, size: marker.size, lastModified: marker.lastModified };
  }
}

export interface PendingLookup {
  /** Markers listed. */
  listed: number;
  /** Of those, images that now have an approved label: their markers were removed. */
  cleared: number;
  /** Images still without a usable label, oldest first (ties by key). */
  unlabeled: StoredObject[];
}

/**
 * The pending images that still lack a usable label (no record, a REJECTED one, or one that breaks the label contract),
 * oldest first. Markers of images that have an approved label by now are removed on the way, so the index only ever
 * holds work left to do. Costs one label look-up per pending image.
 */
export async function unlabeledPending(
  { objects, labels, log }: { objects: ObjectStore; labels: LabelStore; log: Log },
  imagesPrefix: string,
): Promise<PendingLookup> {
  const pending: StoredObject[] = [];
  for await (const image of pendingImages(objects, imagesPrefix)) pending.push(image);
  const ids = pending.map((image) => imageIdFromKey(image.key));
  const lookup = await labels.get(ids);
  const approved = pending.filter((_, i) => lookup.found.get(ids[i])?.status === "APPROVED");
  await clearPending(
    objects,
    approved.map((image) => image.key),
  );
  if (lookup.invalid.size > 0) {
    log.warn("stored labels that break the label contract are labeled again", {
      count: lookup.invalid.size,
      examples: [...lookup.invalid.entries()].slice(0, 5),
    });
  }
  const cleared = new Set(approved.map((image) => image.key));
  const unlabeled = pending
    .filter((image) => !cleared.has(image.key))
    .sort((a, b) => a.lastModified.getTime() - b.lastModified.getTime() || a.key.localeCompare(b.key));
  return { listed: pending.length, cleared: approved.length, unlabeled };
}
