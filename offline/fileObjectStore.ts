import { createReadStream } from "node:fs";
import { copyFile, FileHandle, mkdir, open, readdir, rename, rm, stat } from "node:fs/promises";
import * as path from "node:path";
import type { Readable } from "node:stream";
import { ObjectNotFoundError } from "../lib/errors";
import type { ObjectStore, ObjectUpload, StoredObject } from "../lib/ports";

/**
 * The data lake bucket as a folder: the object `images/a.jpg` is the file `<root>/images/a.jpg`. Lists in key order
 * as S3 does; writes go to a temporary name first and are renamed into place, so a reader never sees half an object.
 */
export class FileObjectStore implements ObjectStore {
  constructor(
    /** The folder standing in for the bucket. */
    readonly root: string,
    /** The bucket name in the `s3://` URIs the pipeline writes and reads. */
    readonly bucket: string,
  ) {}

  /** The file of an object; refuses keys that would leave the bucket folder. */
  pathOf(key: string): string {
    if (key === "" || key.startsWith("/") || key.split("/").some((part) => part === ".." || part === ".")) {
      throw new Error(`${JSON.stringify(key)} is not an object key this data lake accepts`);
    }
    return path.join(this.root, ...key.split("/"));
  }

  async *list(prefix: string): AsyncIterable<StoredObject> {
    // Only the folder the prefix points into needs walking; the rest of the key is a name filter.
    const folder = prefix.includes("/") ? prefix.slice(0, prefix.lastIndexOf("/") + 1) : "";
    const keys: string[] = [];
    await this.walk(folder, (key) => {
      if (key.startsWith(prefix)) keys.push(key);
    });
    keys.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const key of keys) {
      const object = await this.head(key);
      if (object) yield object;
    }
  }

  private async walk(folder: string, found: (key: string) => void): Promise<void> {
    let entries;
    try {
      entries = await readdir(folder === "" ? this.root : this.pathOf(folder.replace(/\/$/, "")), {
        withFileTypes: true,
      });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
      throw error;
    }
    for (const entry of entries) {
      // Temporary files of writes in progress are not objects yet.
      if (entry.name.startsWith(".tmp-")) continue;
      if (entry.isDirectory()) await this.walk(`${folder}${entry.name}/`, found);
      else if (entry.isFile()) found(`${folder}${entry.name}`);
    }
  }

  async read(key: string): Promise<Readable> {
    if (!(await this.head(key))) throw new ObjectNotFoundError(key);
    return createReadStream(this.pathOf(key));
  }

  /** Content types are not kept: nothing local serves objects over HTTP. */
  async write(key: string, body: string | Uint8Array, _contentType?: string): Promise<void> {
    const upload = this.upload(key);
    await upload.write(body);
    await upload.close();
  }

  /** Appends to a temporary file beside the object's, renamed into place when closed. */
  upload(key: string): ObjectUpload {
    const file = this.pathOf(key);
    const temporary = path.join(path.dirname(file), `.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`);
    let handle: Promise<FileHandle> | undefined;
    const opened = () => (handle ??= mkdir(path.dirname(file), { recursive: true }).then(() => open(temporary, "w")));
    return {
      write: async (bytes) => void (await (await opened()).write(Buffer.from(bytes))),
      close: async () => {
        await (await opened()).close();
        await rename(temporary, file);
      },
      abort: async () => {
        if (handle) await (await handle).close().catch(() => undefined);
        await rm(temporary, { force: true });
      },
    };
  }

  async delete(keys: readonly string[]): Promise<void> {
    for (const key of keys) await rm(this.pathOf(key), { force: true });
  }

  async head(key: string): Promise<StoredObject | undefined> {
    try {
      const info = await stat(this.pathOf(key));
      return info.isFile() ? { key, size: info.size, lastModified: info.mtime } : undefined;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
  }

  async copy(fromKey: string, toKey: string): Promise<void> {
    if (!(await this.head(fromKey))) throw new ObjectNotFoundError(fromKey);
    const target = this.pathOf(toKey);
    await mkdir(path.dirname(target), { recursive: true });
    await copyFile(this.pathOf(fromKey), target);
  }
}
