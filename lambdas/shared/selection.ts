import { z } from "zod";
import { isImageKey } from "../../contracts/dataLake";
import { InvalidEventError } from "../../lib/errors";
import { labelingJobKeys } from "../../lib/labeling";
import type { ObjectStore } from "../../lib/ports";
import { readAll } from "../../lib/streams";
import { parseJson } from "./json";

/** The images FindUnlabeledImages chose for a labeling job: a non-empty JSON array of image keys. */
export async function readSelection(objects: ObjectStore, selectionKey: string): Promise<string[]> {
  const selection = z
    .array(z.string())
    .safeParse(parseJson((await readAll(await objects.read(selectionKey))).toString("utf8")));
  if (!selection.success || selection.data.length === 0 || !selection.data.every(isImageKey)) {
    throw new InvalidEventError(`${selectionKey} must be a non-empty JSON array of image keys under images/`);
  }
  return selection.data;
}

/**
 * The run's selection by its labeling job's name; none when the run labeled nothing. Listed before it is read: S3
 * answers a missing key with AccessDenied, not NoSuchKey, to a caller who may not list the whole bucket.
 */
export async function runSelection(objects: ObjectStore, labelingJobName: string): Promise<string[]> {
  const key = labelingJobKeys(labelingJobName).selection;
  for await (const object of objects.list(key)) if (object.key === key) return readSelection(objects, key);
  return [];
}
