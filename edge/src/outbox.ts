import { EventEmitter } from "node:events";
import { promises as fs } from "node:fs";
import path from "node:path";
import { crc32 } from "node:zlib";
import { writeAtomically } from "./files";

/**
 * A durable FIFO of messages on disk: one file per message, appended before anyone tries to send it and removed only
 * once the receiver has acknowledged it. A process killed at any moment (kill -9 included) loses nothing that
 * `append` had confirmed; at worst the message being sent is sent again. Bounded by what the disk really holds (each
 * file's allocated blocks, the folder's own blocks and a reserve for the bookkeeping files), not by the bytes written:
 * a 600-byte message takes a whole 4 KiB block. When full, the oldest messages are dropped and counted.
 *
 * Besides the queue, at most one pending *notice* per source (e.g. "the outbox dropped messages"): replaced, not
 * queued, while it waits, so reporting drops never needs room that would force more drops. Notices go out before the
 * messages; once handed out by `peek` a notice is frozen (it may be in flight) and the next one starts afresh.
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
const PENDING_SUFFIX = ".pending.notice";
const FROZEN_SUFFIX = ".frozen.notice";
/**
 * Blocks kept back from `maxBytes` for the files beside the messages: state.json, and a pending and a frozen notice
 * for each of two sources (the edge's result drops and upload drops).
 */
export const OUTBOX_RESERVED_BLOCKS = 5;

/** The `maxBytes` that holds `messages` messages of `messageBytes` each (header and metadata included). */
export function outboxBytesFor(messages: number, messageBytes: number, blockBytes: number): number {
  return (OUTBOX_RESERVED_BLOCKS + 1 + messages * Math.ceil(messageBytes / blockBytes)) * blockBytes;
}

export type OutboxMeta = Record<string, string | number | boolean>;

export interface OutboxEntry<M extends OutboxMeta> {
  /** Increasing in append order. */
  id: number;
  meta: M;
  payload: Buffer;
}

export interface OutboxOptions {
  /** Upper bound for the disk the outbox folder takes, as `du` counts it (allocated blocks). */
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
  /** Bytes of the record, and bytes of disk its file takes. */
  bytes: number;
  disk: number;
  /** When it was appended (ms since the epoch; the file's mtime after a restart). */
  at: number;
}

/** What one append dropped: how many, and when the oldest and newest of them had been appended. */
export interface Dropped {
  count: number;
  from: Date;
  to: Date;
}

/** A notice handed out by peek: its id (negative, never a message's) and source. */
interface FrozenNotice {
  id: number;
  source: string;
}

const diskOf = (stat: { blocks: number }) => stat.blocks * 512;

export class Outbox<M extends OutboxMeta> extends EventEmitter {
  private readonly queue: Slot[] = [];
  private totalBytes = 0;
  private messagesDisk = 0;
  /** The folder's own blocks (a folder of many files takes more than one). */
  private folderDisk = 0;
  private blockBytes = 4096;
  private readonly frozen: FrozenNotice[] = [];
  private readonly pending = new Set<string>();
  private noticeIds = 0;
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
    const folder = await fs.stat(dir);
    outbox.blockBytes = folder.blksize || 4096;
    outbox.folderDisk = diskOf(folder);
    const state = await fs.readFile(path.join(dir, STATE_FILE), "utf8").catch(() => undefined);
    if (state) outbox.droppedTotal = Number(JSON.parse(state).dropped) || 0;
    for (const name of await fs.readdir(dir)) {
      // A .tmp file is an append that never completed: its caller was never told it was stored.
      if (name.endsWith(".tmp")) await fs.rm(path.join(dir, name), { force: true });
      if (name.endsWith(FROZEN_SUFFIX)) outbox.freeze(name.slice(0, -FROZEN_SUFFIX.length));
      if (name.endsWith(PENDING_SUFFIX)) outbox.pending.add(name.slice(0, -PENDING_SUFFIX.length));
      if (!name.endsWith(MESSAGE_SUFFIX)) continue;
      const id = Number(name.slice(0, -MESSAGE_SUFFIX.length));
      if (!Number.isSafeInteger(id)) continue;
      const stat = await fs.stat(path.join(dir, name));
      outbox.queue.push({ id, bytes: stat.size, disk: diskOf(stat), at: stat.mtimeMs });
      outbox.totalBytes += stat.size;
      outbox.messagesDisk += diskOf(stat);
    }
    outbox.queue.sort((a, b) => a.id - b.id);
    outbox.nextId = (outbox.queue.at(-1)?.id ?? 0) + 1;
    return outbox;
  }

  /** Messages and notices waiting. */
  get length(): number {
    return this.queue.length + this.frozen.length + this.pending.size;
  }

  /** Bytes of the messages waiting (as written). */
  get bytes(): number {
    return this.totalBytes;
  }

  /** Disk the bound counts: the messages' blocks, the folder's and the reserve for the files beside them. */
  get diskBytes(): number {
    return this.messagesDisk + this.folderDisk + OUTBOX_RESERVED_BLOCKS * this.blockBytes;
  }

  /** Messages dropped because the outbox was full, over its whole life (kept across restarts). */
  get dropped(): number {
    return this.droppedTotal;
  }

  /**
   * Stores a message; resolves once it is on disk. Drops the oldest messages if it would not fit otherwise and
   * reports how many (and `drop`: when those had been appended). Emits `appended`.
   */
  append(payload: Buffer, meta: M): Promise<{ id: number; dropped: number; drop?: Dropped }> {
    return this.serialized(async () => {
      const record = encode(meta, payload);
      // What the file will take: whole blocks (corrected from the file itself once written).
      const need = Math.ceil(record.length / this.blockBytes) * this.blockBytes;
      if (need > this.options.maxBytes - (this.diskBytes - this.messagesDisk)) {
        throw new OutboxFullError(
          `a ${record.length}-byte message (${need} bytes of disk) cannot fit an outbox of ${this.options.maxBytes} bytes`,
        );
      }
      let dropped = 0;
      let drop: Dropped | undefined;
      while (this.diskBytes + need > this.options.maxBytes && this.queue.length > 0) {
        const oldest = this.queue.shift()!;
        drop ??= { count: 0, from: new Date(oldest.at), to: new Date(oldest.at) };
        drop.count += 1;
        drop.to = new Date(oldest.at);
        this.totalBytes -= oldest.bytes;
        this.messagesDisk -= oldest.disk;
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
      const disk = diskOf(await fs.stat(target));
      this.queue.push({ id, bytes: record.length, disk, at: Date.now() });
      this.totalBytes += record.length;
      this.messagesDisk += disk;
      this.folderDisk = diskOf(await fs.stat(this.dir));
      this.emit("appended", id);
      return { id, dropped, ...(drop && { drop }) };
    });
  }

  /** The oldest message, or undefined when the outbox is empty. Corrupt files are set aside and skipped. */
  async peek(): Promise<OutboxEntry<M> | undefined> {
    const notice = await this.peekNotice();
    if (notice) return notice;
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
      if (id < 0) {
        const index = this.frozen.findIndex((notice) => notice.id === id);
        if (index === -1) return;
        const [{ source }] = this.frozen.splice(index, 1);
        await fs.rm(path.join(this.dir, `${source}${FROZEN_SUFFIX}`), { force: true });
      } else {
        const index = this.queue.findIndex((slot) => slot.id === id);
        if (index === -1) return;
        const [slot] = this.queue.splice(index, 1);
        this.totalBytes -= slot.bytes;
        this.messagesDisk -= slot.disk;
        await fs.rm(path.join(this.dir, fileName(id)), { force: true });
      }
      if (this.length === 0) this.emit("empty");
    });
  }

  /**
   * Sets the pending notice of `source`, replacing the one still waiting (not one already handed out). Stored
   * outside the bounded queue, in the reserve: it never drops a message. Emits `appended`.
   */
  setNotice(source: string, payload: Buffer, meta: M): Promise<void> {
    return this.serialized(async () => {
      await writeAtomically(path.join(this.dir, `${source}${PENDING_SUFFIX}`), encode(meta, payload));
      this.pending.add(source);
      this.emit("appended", 0);
    });
  }

  /** The pending (not yet handed out) notice of `source`, to carry its counts on. */
  async pendingNotice(source: string): Promise<{ meta: M; payload: Buffer } | undefined> {
    if (!this.pending.has(source)) return undefined;
    const bytes = await fs.readFile(path.join(this.dir, `${source}${PENDING_SUFFIX}`)).catch(() => undefined);
    try {
      return bytes && decode<M>(bytes);
    } catch {
      return undefined;
    }
  }

  /** A frozen notice, else the first pending one frozen now; unreadable notice files are removed. */
  private async peekNotice(): Promise<OutboxEntry<M> | undefined> {
    return this.serialized(async () => {
      for (;;) {
        const [source] = this.pending;
        if (this.frozen.length === 0 && source !== undefined) {
          this.pending.delete(source);
          const file = path.join(this.dir, source);
          // One notice is out at a time: the next is frozen once the receiver has acknowledged this one.
          await fs.rename(`${file}${PENDING_SUFFIX}`, `${file}${FROZEN_SUFFIX}`).catch(() => undefined);
          this.freeze(source);
        }
        const head = this.frozen[0];
        if (!head) return undefined;
        const file = path.join(this.dir, `${head.source}${FROZEN_SUFFIX}`);
        try {
          return { id: head.id, ...decode<M>(await fs.readFile(file)) };
        } catch {
          this.frozen.shift();
          await fs.rm(file, { force: true });
        }
      }
    });
  }

  private freeze(source: string): void {
    this.frozen.push({ id: -++this.noticeIds, source });
  }

  private setAside(id: number, reason: string): Promise<void> {
    return this.serialized(async () => {
      const index = this.queue.findIndex((slot) => slot.id === id);
      if (index === -1) return;
      const [slot] = this.queue.splice(index, 1);
      this.totalBytes -= slot.bytes;
      this.messagesDisk -= slot.disk;
      await fs.mkdir(path.join(this.dir, "corrupt"), { recursive: true });
      await fs.rename(path.join(this.dir, fileName(id)), path.join(this.dir, "corrupt", fileName(id))).catch(() => {});
      this.options.onCorrupt?.(fileName(id), reason);
      if (this.length === 0) this.emit("empty");
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
