import { EventEmitter } from "node:events";
import { promises as fs } from "node:fs";
import path from "node:path";
import { crc32 } from "node:zlib";
import { writeAtomically } from "./files";

/**
 * A durable FIFO of messages on disk: one file per message, appended before anyone tries to send it and removed only
 * once the receiver has acknowledged it. A process killed at any moment (kill -9 included) loses nothing that
 * `append` had confirmed; at worst the message being sent is sent again. Bounded in bytes: when full, the oldest
 * messages are dropped and counted.
 *
 * Generic over the payload (bytes) and a small JSON metadata object, so results for MQTT and, later, images for S3
 * share the same discipline.
 */

const MAGIC = Buffer.from("QIOB");
const FORMAT_VERSION = 1;
// magic (4) | format version (1) | crc32 of everything after the header (4) | metadata length (4)
const HEADER_BYTES = 13;
const MESSAGE_SUFFIX = ".msg";
const STATE_FILE = "state.json";

export type OutboxMeta = Record<string, string | number | boolean>;

export interface OutboxEntry<M extends OutboxMeta> {
  /** Increasing in append order. */
  id: number;
  meta: M;
  payload: Buffer;
}

export interface OutboxOptions {
  /** Upper bound for the messages on disk, headers included. */
  maxBytes: number;
  /** fsync each message and the folder before `append` resolves, so a power cut loses nothing either. */
  fsync?: boolean;
  /** Told about unreadable message files, which are set aside in `corrupt/` and skipped. */
  onCorrupt?: (file: string, reason: string) => void;
}

export class OutboxFullError extends Error {
  override name = "OutboxFullError";
}

const fileName = (id: number) => `${String(id).padStart(16, "0")}${MESSAGE_SUFFIX}`;

function encode(meta: OutboxMeta, payload: Buffer): Buffer {
  const metaBytes = Buffer.from(JSON.stringify(meta));
  const body = Buffer.concat([metaBytes, payload]);
  const header = Buffer.alloc(HEADER_BYTES);
  MAGIC.copy(header, 0);
  header.writeUInt8(FORMAT_VERSION, 4);
  header.writeUInt32BE(crc32(body), 5);
  header.writeUInt32BE(metaBytes.length, 9);
  return Buffer.concat([header, body]);
}

function decode<M extends OutboxMeta>(bytes: Buffer): { meta: M; payload: Buffer } {
  if (bytes.length < HEADER_BYTES || !bytes.subarray(0, 4).equals(MAGIC)) throw new Error("not an outbox message");
  if (bytes.readUInt8(4) !== FORMAT_VERSION) throw new Error(`unknown format version ${bytes.readUInt8(4)}`);
  const body = bytes.subarray(HEADER_BYTES);
  if (crc32(body) !== bytes.readUInt32BE(5)) throw new Error("checksum mismatch");
  const metaLength = bytes.readUInt32BE(9);
  if (metaLength > body.length) throw new Error("metadata longer than the message");
  return { meta: JSON.parse(body.subarray(0, metaLength).toString("utf8")) as M, payload: body.subarray(metaLength) };
}

interface Slot {
  id: number;
  bytes: number;
}

export class Outbox<M extends OutboxMeta> extends EventEmitter {
  private readonly queue: Slot[] = [];
  private totalBytes = 0;
  private nextId = 1;
  private droppedTotal = 0;
  // Appends, removals and drops change the queue and the folder one at a time.
  private lock: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly dir: string,
    private readonly options: OutboxOptions,
  ) {
    super();
  }

  /** Opens (or creates) the outbox in `dir` and indexes the messages a previous process left there. */
  static async open<M extends OutboxMeta>(dir: string, options: OutboxOptions): Promise<Outbox<M>> {
    if (!(options.maxBytes > HEADER_BYTES)) throw new Error(`outbox maxBytes must be more than ${HEADER_BYTES}`);
    const outbox = new Outbox<M>(dir, options);
    await fs.mkdir(dir, { recursive: true });
    const state = await fs.readFile(path.join(dir, STATE_FILE), "utf8").catch(() => undefined);
    if (state) outbox.droppedTotal = Number(JSON.parse(state).dropped) || 0;
    for (const name of await fs.readdir(dir)) {
      // A .tmp file is an append that never completed: its caller was never told it was stored.
      if (name.endsWith(".tmp")) await fs.rm(path.join(dir, name), { force: true });
      if (!name.endsWith(MESSAGE_SUFFIX)) continue;
      const id = Number(name.slice(0, -MESSAGE_SUFFIX.length));
      if (!Number.isSafeInteger(id)) continue;
      const { size } = await fs.stat(path.join(dir, name));
      outbox.queue.push({ id, bytes: size });
      outbox.totalBytes += size;
    }
    outbox.queue.sort((a, b) => a.id - b.id);
    outbox.nextId = (outbox.queue.at(-1)?.id ?? 0) + 1;
    return outbox;
  }

  /** Messages waiting. */
  get length(): number {
    return this.queue.length;
  }

  /** Bytes on disk of the messages waiting. */
  get bytes(): number {
    return this.totalBytes;
  }

  /** Messages dropped because the outbox was full, over its whole life (kept across restarts). */
  get dropped(): number {
    return this.droppedTotal;
  }

  /**
   * Stores a message; resolves once it is on disk. Drops the oldest messages if it would not fit otherwise and
   * reports how many. Emits `appended`.
   */
  append(payload: Buffer, meta: M): Promise<{ id: number; dropped: number }> {
    return this.serialized(async () => {
      const record = encode(meta, payload);
      if (record.length > this.options.maxBytes) {
        throw new OutboxFullError(
          `a ${record.length}-byte message cannot fit an outbox of ${this.options.maxBytes} bytes`,
        );
      }
      let dropped = 0;
      while (this.totalBytes + record.length > this.options.maxBytes && this.queue.length > 0) {
        const oldest = this.queue.shift()!;
        this.totalBytes -= oldest.bytes;
        await fs.rm(path.join(this.dir, fileName(oldest.id)), { force: true });
        dropped += 1;
      }
      if (dropped > 0) {
        this.droppedTotal += dropped;
        await this.writeState();
      }
      const id = this.nextId++;
      const target = path.join(this.dir, fileName(id));
      const temporary = `${target}.tmp`;
      const handle = await fs.open(temporary, "w");
      try {
        await handle.writeFile(record);
        if (this.options.fsync !== false) await handle.sync();
      } finally {
        await handle.close();
      }
      await fs.rename(temporary, target);
      if (this.options.fsync !== false) await this.syncDir();
      this.queue.push({ id, bytes: record.length });
      this.totalBytes += record.length;
      this.emit("appended", id);
      return { id, dropped };
    });
  }

  /** The oldest message, or undefined when the outbox is empty. Corrupt files are set aside and skipped. */
  async peek(): Promise<OutboxEntry<M> | undefined> {
    for (;;) {
      const head = this.queue[0];
      if (!head) return undefined;
      const file = path.join(this.dir, fileName(head.id));
      let bytes: Buffer;
      try {
        bytes = await fs.readFile(file);
      } catch (error) {
        // Dropped or removed meanwhile: look at the new head.
        if ((error as NodeJS.ErrnoException).code === "ENOENT") continue;
        throw error;
      }
      try {
        return { id: head.id, ...decode<M>(bytes) };
      } catch (error) {
        await this.setAside(head.id, (error as Error).message);
      }
    }
  }

  /** Forgets a message once its receiver acknowledged it. Removing one that was already dropped is fine. */
  remove(id: number): Promise<void> {
    return this.serialized(async () => {
      const index = this.queue.findIndex((slot) => slot.id === id);
      if (index === -1) return;
      const [slot] = this.queue.splice(index, 1);
      this.totalBytes -= slot.bytes;
      await fs.rm(path.join(this.dir, fileName(id)), { force: true });
      if (this.queue.length === 0) this.emit("empty");
    });
  }

  private setAside(id: number, reason: string): Promise<void> {
    return this.serialized(async () => {
      const index = this.queue.findIndex((slot) => slot.id === id);
      if (index === -1) return;
      const [slot] = this.queue.splice(index, 1);
      this.totalBytes -= slot.bytes;
      await fs.mkdir(path.join(this.dir, "corrupt"), { recursive: true });
      await fs.rename(path.join(this.dir, fileName(id)), path.join(this.dir, "corrupt", fileName(id))).catch(() => {});
      this.options.onCorrupt?.(fileName(id), reason);
      if (this.queue.length === 0) this.emit("empty");
    });
  }

  private async writeState(): Promise<void> {
    await writeAtomically(path.join(this.dir, STATE_FILE), JSON.stringify({ dropped: this.droppedTotal }));
  }

  private async syncDir(): Promise<void> {
    const handle = await fs.open(this.dir, "r");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  private serialized<T>(work: () => Promise<T>): Promise<T> {
    const result = this.lock.then(work);
    this.lock = result.catch(() => undefined);
    return result;
  }
}
