import { createHash } from "node:crypto";
import { ObjectNotFoundError } from "../../lib/errors";
import type { ObjectStore } from "../../lib/ports";
import { readAll } from "../../lib/streams";

/**
 * Objects that several people write, each write conditional on what its writer read: claims on images and the
 * batch's end. In AWS these are S3 conditional writes (If-None-Match / If-Match, `aws/s3VersionedObjects.ts`); on
 * one machine (the offline run, tests) `LocalVersionedObjects` serialises writes in this process.
 */
export interface VersionedObjects {
  /** The object's text and version, or undefined when there is none. */
  get(key: string): Promise<{ text: string; version: string } | undefined>;
  /** Writes when the object is still at `version` (undefined: still absent); false when someone wrote first. */
  putIf(key: string, text: string, version: string | undefined): Promise<boolean>;
}

/** The conditional writes in flight on each store: every app of this process on one store shares its queue. */
const queues = new WeakMap<ObjectStore, Promise<unknown>>();

/** Conditional writes over an object store that only this process writes these keys of. */
export class LocalVersionedObjects implements VersionedObjects {
  constructor(private readonly objects: ObjectStore) {}

  async get(key: string): Promise<{ text: string; version: string } | undefined> {
    try {
      const text = (await readAll(await this.objects.read(key))).toString("utf8");
      return { text, version: createHash("sha256").update(text).digest("hex") };
    } catch (error) {
      if (error instanceof ObjectNotFoundError) return undefined;
      throw error;
    }
  }

  putIf(key: string, text: string, version: string | undefined): Promise<boolean> {
    // One conditional write at a time: the read and the write of each happen with no other write between them.
    const result = (queues.get(this.objects) ?? Promise.resolve()).then(async () => {
      const current = await this.get(key);
      if (current?.version !== version) return false;
      await this.objects.write(key, text, "application/json");
      return true;
    });
    queues.set(
      this.objects,
      result.catch(() => undefined),
    );
    return result;
  }
}
