import type { Readable } from "node:stream";
import { createGunzip, gzipSync } from "node:zlib";

/**
 * Just enough of the tar format for our artifacts: read chosen files out of a (gzipped) tar stream — SageMaker's
 * `model.tar.gz`, written by Python's tarfile — and write small deterministic archives (training code, Neo input).
 */

const BLOCK = 512;

/** The bytes are not a (complete) tar archive; the message says what is wrong and where. */
export class TarFormatError extends Error {
  override readonly name = "TarFormatError";
}

export interface TarEntry {
  name: string;
  data: Buffer;
}

function field(header: Buffer, offset: number, length: number): string {
  const raw = header.subarray(offset, offset + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end === -1 ? length : end).toString("utf8");
}

function octal(header: Buffer, offset: number, length: number): number {
  // GNU tar writes sizes over 8 GiB in base-256 (high bit set); nothing we read is that big.
  if (header[offset] & 0x80) throw new TarFormatError("tar entries larger than 8 GiB are not supported");
  const text = field(header, offset, length).trim();
  return text === "" ? 0 : parseInt(text, 8);
}

/** Values of a PAX extended header ("<len> <key>=<value>\n" records). */
function paxRecords(data: Buffer): Record<string, string> {
  const records: Record<string, string> = {};
  let offset = 0;
  while (offset < data.length) {
    const space = data.indexOf(0x20, offset);
    if (space === -1) break;
    const length = parseInt(data.subarray(offset, space).toString("utf8"), 10);
    if (!Number.isFinite(length) || length <= 0) break;
    const record = data.subarray(space + 1, offset + length - 1).toString("utf8");
    const equals = record.indexOf("=");
    if (equals > 0) records[record.slice(0, equals)] = record.slice(equals + 1);
    offset += length;
  }
  return records;
}

/**
 * Whether a header's checksum field matches its bytes (summed with the field itself as spaces): what tells a tar
 * header from any other 512 bytes. Old writers summed signed bytes; both sums are accepted, as Python's tarfile does.
 */
function checksumMatches(header: Buffer): boolean {
  const stored = parseInt(field(header, 148, 8).trim(), 8);
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i += 1) {
    const byte = i >= 148 && i < 156 ? 0x20 : header[i];
    unsigned += byte;
    signed += byte > 127 ? byte - 256 : byte;
  }
  return stored === unsigned || stored === signed;
}

/** `./model.onnx` and `model.onnx` name the same file. */
function normalise(name: string): string {
  return name.replace(/^(\.\/)+/, "");
}

/** Reads bytes from a stream on demand. */
class ByteReader {
  private buffered: Buffer[] = [];
  private length = 0;
  /** Bytes handed out or skipped so far. */
  position = 0;
  private readonly iterator: AsyncIterator<Buffer>;

  constructor(stream: AsyncIterable<Buffer>) {
    this.iterator = stream[Symbol.asyncIterator]();
  }

  /** Exactly `count` bytes, or undefined at the end of the stream. */
  async take(count: number): Promise<Buffer | undefined> {
    while (this.length < count) {
      const { value, done } = await this.iterator.next();
      if (done) return undefined;
      this.buffered.push(value);
      this.length += value.length;
    }
    const all = this.buffered.length === 1 ? this.buffered[0] : Buffer.concat(this.buffered);
    this.buffered = all.length > count ? [all.subarray(count)] : [];
    this.length = all.length - count;
    this.position += count;
    return all.subarray(0, count);
  }

  /** Bytes read from the stream but not handed out: at its end, what is left of an incomplete block. */
  get leftover(): number {
    return this.length;
  }

  /** Skips `count` bytes without keeping them. */
  async skip(count: number): Promise<void> {
    let left = count;
    while (left > 0) {
      const step = Math.min(left, 1 << 20);
      if ((await this.take(step)) === undefined) throw new TarFormatError("tar stream ends inside an entry");
      left -= step;
    }
  }
}

/**
 * Reads the regular files whose (normalised) names `wanted` accepts from a tar stream; everything else is skipped
 * without being held in memory. Set `gzipped` for `.tar.gz`. Bytes that are not a tar archive throw a
 * `TarFormatError`; bytes that are not gzip data, zlib's error (its `code` starts with `Z_`).
 */
export async function readTarEntries(
  stream: Readable,
  wanted: (name: string) => boolean,
  { gzipped = true }: { gzipped?: boolean } = {},
): Promise<Map<string, Buffer>> {
  const reader = new ByteReader(gzipped ? stream.pipe(createGunzip()) : stream);
  const entries = new Map<string, Buffer>();
  let longName: string | undefined;
  for (;;) {
    const at = reader.position;
    const header = await reader.take(BLOCK);
    if (header === undefined && reader.leftover > 0) {
      throw new TarFormatError(`not a tar archive: it ends ${reader.leftover} bytes into a header at byte ${at}`);
    }
    if (header === undefined || header.every((byte) => byte === 0)) break;
    if (!checksumMatches(header)) {
      throw new TarFormatError(`not a tar archive: the 512 bytes at byte ${at} are not a tar header (bad checksum)`);
    }
    const size = octal(header, 124, 12);
    const type = String.fromCharCode(header[156] || 0x30);
    const padded = Math.ceil(size / BLOCK) * BLOCK;
    const prefix = field(header, 345, 155);
    const headerName = prefix ? `${prefix}/${field(header, 0, 100)}` : field(header, 0, 100);

    if (type === "x" || type === "L") {
      const data = await reader.take(padded);
      if (data === undefined) throw new TarFormatError("tar stream ends inside a header");
      longName = type === "x" ? paxRecords(data.subarray(0, size)).path : field(data, 0, size);
      continue;
    }
    const name = normalise(longName ?? headerName);
    longName = undefined;
    if ((type === "0" || type === "7") && wanted(name)) {
      const data = await reader.take(padded);
      if (data === undefined) throw new TarFormatError(`tar stream ends inside ${name}`);
      entries.set(name, Buffer.from(data.subarray(0, size)));
    } else {
      await reader.skip(padded);
    }
  }
  return entries;
}

function writeField(header: Buffer, text: string, offset: number, length: number): void {
  const bytes = Buffer.from(text, "utf8");
  if (bytes.length > length) throw new Error(`tar header field too long: ${text}`);
  bytes.copy(header, offset);
}

function writeOctal(header: Buffer, value: number, offset: number, length: number): void {
  writeField(header, value.toString(8).padStart(length - 1, "0"), offset, length - 1);
}

/** Splits a path over the ustar `prefix` (155) and `name` (100) fields. */
function ustarName(name: string): { prefix: string; name: string } {
  if (Buffer.byteLength(name) <= 100) return { prefix: "", name };
  for (let slash = name.indexOf("/"); slash !== -1; slash = name.indexOf("/", slash + 1)) {
    const prefix = name.slice(0, slash);
    const rest = name.slice(slash + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(rest) <= 100) return { prefix, name: rest };
  }
  throw new Error(`path too long for a tar archive: ${name}`);
}

function header(entry: TarEntry): Buffer {
  const block = Buffer.alloc(BLOCK);
  const { prefix, name } = ustarName(entry.name);
  writeField(block, name, 0, 100);
  writeOctal(block, 0o644, 100, 8);
  writeOctal(block, 0, 108, 8);
  writeOctal(block, 0, 116, 8);
  writeOctal(block, entry.data.length, 124, 12);
  writeOctal(block, 0, 136, 12);
  block.fill(0x20, 148, 156); // checksum is computed with its own field as spaces
  block[156] = 0x30;
  writeField(block, "ustar", 257, 6);
  writeField(block, "00", 263, 2);
  writeField(block, prefix, 345, 155);
  const checksum = block.reduce((sum, byte) => sum + byte, 0);
  writeField(block, `${checksum.toString(8).padStart(6, "0")}\0 `, 148, 8);
  return block;
}

/**
 * A gzipped tar of the entries, sorted by name, with zero times and owners: the same files always give the same bytes
 * (and so the same content hash), on every machine.
 */
export function createTarGz(entries: TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    parts.push(header(entry), entry.data, Buffer.alloc((BLOCK - (entry.data.length % BLOCK)) % BLOCK));
  }
  parts.push(Buffer.alloc(BLOCK * 2));
  const gz = gzipSync(Buffer.concat(parts), { level: 9 });
  gz[9] = 3; // the gzip OS byte differs between platforms' zlib builds; pin it to "Unix"
  return gz;
}
