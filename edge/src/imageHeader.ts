/**
 * What an image file says about itself before anything is decoded: its format and its size in pixels, read from the
 * first bytes (JPEG frame header, PNG IHDR, BMP/GIF/TIFF headers). The detector refuses an image that is too large
 * here, so a 20000×20000 "image bomb" of a few MB never reaches a decoder that would allocate 1.6 GB for it.
 */

/** Real cameras stay well below (a 24 MP sensor is 6000×4000); a 40 MP RGBA bitmap is 160 MB. */
export const DEFAULT_MAX_IMAGE_PIXELS = 40_000_000;

export type ImageFormat = "jpeg" | "png" | "bmp" | "gif" | "tiff";

export interface ImageHeader {
  format: ImageFormat;
  /** Undefined when the header ends before it says (a truncated JPEG): the decoder then refuses it itself. */
  width?: number;
  height?: number;
}

export type ImageErrorCode = "IMAGE_UNREADABLE" | "IMAGE_TOO_LARGE";

/** The bytes are not an image the detector can decode, or one it will not decode; the message says why, plainly. */
export class ImageDecodeError extends Error {
  override name = "ImageDecodeError";
  constructor(
    message: string,
    readonly code: ImageErrorCode = "IMAGE_UNREADABLE",
  ) {
    super(message);
  }
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** The first bytes as a person can read them: text in quotes when they are printable, else hex. */
export function describeStart(bytes: Uint8Array): string {
  const start = Buffer.from(bytes.subarray(0, 8));
  const printable = start.every((b) => (b >= 0x20 && b < 0x7f) || b === 0x09 || b === 0x0a || b === 0x0d);
  if (printable) return JSON.stringify(start.toString("latin1"));
  return [...start].map((b) => `0x${b.toString(16).padStart(2, "0")}`).join(" ");
}

/** Format and size from the header; throws ImageDecodeError("empty file" / "not an image (starts with …)"). */
export function readImageHeader(bytes: Uint8Array): ImageHeader {
  if (bytes.length === 0) throw new ImageDecodeError("empty file");
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return { format: "jpeg", ...jpegSize(b) };
  if (b.length >= 8 && b.subarray(0, 8).equals(PNG_SIGNATURE)) {
    if (b.length < 24 || b.toString("latin1", 12, 16) !== "IHDR") {
      throw new ImageDecodeError(`truncated PNG: ${b.length} bytes, no image header`);
    }
    return { format: "png", width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
  }
  if (b.length >= 2 && b.toString("latin1", 0, 2) === "BM") return { format: "bmp", ...bmpSize(b) };
  if (b.length >= 10 && b.toString("latin1", 0, 4) === "GIF8") {
    return { format: "gif", width: b.readUInt16LE(6), height: b.readUInt16LE(8) };
  }
  const order = b.toString("latin1", 0, 4);
  if (order === "II*\0" || order === "MM\0*") return { format: "tiff", ...tiffSize(b, order === "II*\0") };
  throw new ImageDecodeError(`not an image (starts with ${describeStart(b)})`);
}

/** Start-of-frame markers (SOF0–SOF15 but DHT, JPG and DAC) carry the height and width. */
const isStartOfFrame = (marker: number) =>
  marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;

function jpegSize(b: Buffer): { width?: number; height?: number } {
  let at = 2;
  while (at + 4 <= b.length) {
    if (b[at] !== 0xff) return {};
    const marker = b[at + 1];
    // Fill bytes, and markers that stand alone (no length): TEM, RSTn, SOI.
    if (marker === 0xff || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) {
      at += marker === 0xff ? 1 : 2;
      continue;
    }
    // End of image or start of scan before any frame header: libjpeg refuses it with its own words.
    if (marker === 0xd9 || marker === 0xda) return {};
    if (isStartOfFrame(marker)) {
      if (at + 9 > b.length) return {};
      return { height: b.readUInt16BE(at + 5), width: b.readUInt16BE(at + 7) };
    }
    at += 2 + b.readUInt16BE(at + 2);
  }
  return {};
}

function bmpSize(b: Buffer): { width?: number; height?: number } {
  if (b.length < 26) throw new ImageDecodeError(`truncated BMP: ${b.length} bytes, no image header`);
  // The old OS/2 header (12 bytes) has 16-bit sizes; every later one 32-bit, height negative for top-down rows.
  if (b.readUInt32LE(14) === 12) return { width: b.readUInt16LE(18), height: b.readUInt16LE(20) };
  return { width: Math.abs(b.readInt32LE(18)), height: Math.abs(b.readInt32LE(22)) };
}

function tiffSize(b: Buffer, little: boolean): { width?: number; height?: number } {
  const u16 = (at: number) => (little ? b.readUInt16LE(at) : b.readUInt16BE(at));
  const u32 = (at: number) => (little ? b.readUInt32LE(at) : b.readUInt32BE(at));
  if (b.length < 8) throw new ImageDecodeError(`truncated TIFF: ${b.length} bytes, no image header`);
  const ifd = u32(4);
  if (ifd + 2 > b.length) throw new ImageDecodeError(`truncated TIFF: ${b.length} bytes, no image header`);
  const size: { width?: number; height?: number } = {};
  for (let i = 0, n = u16(ifd); i < n && ifd + 2 + 12 * (i + 1) <= b.length; i++) {
    const entry = ifd + 2 + 12 * i;
    const tag = u16(entry);
    // Type 3 is SHORT, 4 LONG; the value sits in the entry itself.
    const value = u16(entry + 2) === 3 ? u16(entry + 8) : u32(entry + 8);
    if (tag === 256) size.width = value;
    if (tag === 257) size.height = value;
  }
  if (size.width === undefined || size.height === undefined) {
    throw new ImageDecodeError("TIFF without a width and height in its first directory");
  }
  return size;
}
