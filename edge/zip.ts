import { deflateRawSync, crc32 } from "node:zlib";

/**
 * A minimal ZIP writer (deflate, UTF-8 names, no ZIP64) that produces the same bytes for the same files: entries
 * are written in the given order with a fixed timestamp, so an unchanged build has an unchanged SHA-256 and a
 * content-addressed upload is skipped.
 */

export interface ZipEntry {
  /** Path inside the archive, `/`-separated. */
  name: string;
  data: Buffer;
}

// 1980-01-01 00:00, the earliest DOS date: fixed so the archive depends on the contents only.
const DOS_TIME = 0;
const DOS_DATE = (0 << 9) | (1 << 5) | 1;
const UTF8_NAMES = 0x0800;
const UNIX_FILE_MODE = 0o100644;
const MAX_ZIP32 = 0xffffffff;

export function zip(entries: ZipEntry[], level = 9): Buffer {
  const chunks: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const { name, data } of entries) {
    if (!name || name.startsWith("/") || name.split("/").includes("..")) throw new Error(`bad zip entry name ${name}`);
    const nameBytes = Buffer.from(name, "utf8");
    const deflated = deflateRawSync(data, { level });
    // Store when deflate does not help (already compressed data).
    const [method, body] = deflated.length < data.length ? [8, deflated] : [0, data];
    const crc = crc32(data);
    if (data.length > MAX_ZIP32 || offset > MAX_ZIP32) throw new Error("archive too large for ZIP without ZIP64");

    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(UTF8_NAMES, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt16LE(DOS_TIME, 10);
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    local.writeUInt16LE(0, 28);
    chunks.push(local, nameBytes, body);

    const header = Buffer.alloc(46);
    header.writeUInt32LE(0x02014b50, 0);
    header.writeUInt16LE((3 << 8) | 20, 4); // made by Unix, so the mode below is read
    header.writeUInt16LE(20, 6);
    header.writeUInt16LE(UTF8_NAMES, 8);
    header.writeUInt16LE(method, 10);
    header.writeUInt16LE(DOS_TIME, 12);
    header.writeUInt16LE(DOS_DATE, 14);
    header.writeUInt32LE(crc, 16);
    header.writeUInt32LE(body.length, 20);
    header.writeUInt32LE(data.length, 24);
    header.writeUInt16LE(nameBytes.length, 28);
    header.writeUInt32LE((UNIX_FILE_MODE << 16) >>> 0, 38);
    header.writeUInt32LE(offset, 42);
    central.push(header, nameBytes);
    offset += local.length + nameBytes.length + body.length;
  }
  const centralSize = central.reduce((sum, b) => sum + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(offset, 16);
  if (entries.length > 0xffff) throw new Error("too many entries for ZIP without ZIP64");
  return Buffer.concat([...chunks, ...central, end]);
}
