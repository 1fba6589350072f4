import { isImageKey } from "../contracts/dataLake";
import type { ObjectStore, StoredObject } from "./ports";

/** The images under a prefix of the data lake, as the store lists them: only keys the data lake contract calls images. */
export async function* imageObjects(objects: ObjectStore, prefix: string): AsyncGenerator<StoredObject> {
  for await (const object of objects.list(prefix)) if (isImageKey(object.key)) yield object;
}
