import { readFileSync } from "node:fs";
import mozjpegFactory from "@jsquash/jpeg/codec/dec/mozjpeg_dec.js";

/**
 * JPEG decoding for jimp by libjpeg-turbo (mozjpeg's decoder, compiled to WebAssembly) instead of jimp's pure-JS
 * jpeg-js: about 1.5 ms instead of 7 for a 450×300 camera image, and the same decoder (same IDCT and chroma
 * upsampling) as Pillow, which fed the model in training. Architecture-independent, so the component needs no extra
 * native binary. See docs/decisions.md.
 */

interface MozjpegModule {
  /** Emscripten's view of the instance's memory (its buffer is the whole WebAssembly heap). */
  HEAPU8: Uint8Array;
  decode(data: Uint8Array, preserveOrientation: boolean): { width: number; height: number; data: Uint8ClampedArray };
}

type MozjpegFactory = (overrides: {
  noInitialRun: boolean;
  wasmBinary: Uint8Array;
  print: (line: string) => void;
  printErr: (line: string) => void;
}) => Promise<MozjpegModule>;

/** The decoded pixels, in jimp's bitmap shape. */
export interface JpegBitmap {
  width: number;
  height: number;
  data: Buffer;
}

let wasmBinary: Buffer | undefined;
/**
 * One instance, replaced after every failed decode (libjpeg leaves its heap in an unknown state when it gives up) and
 * after every decode that grew its heap: WebAssembly memory grows but never shrinks, so one large image would
 * otherwise hold its peak for the rest of the process. A fresh instance costs ~1 ms.
 */
let instance: Promise<MozjpegModule> | undefined;
/** The heap of a fresh instance, once known. */
let freshHeapBytes = 0;
/** What libjpeg said while decoding the current image (warnings and the fatal error). */
let messages: string[] = [];

function decoder(): Promise<MozjpegModule> {
  wasmBinary ??= readFileSync(require.resolve("@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm"));
  instance ??= (mozjpegFactory as unknown as MozjpegFactory)({
    noInitialRun: true,
    wasmBinary,
    print: (line) => messages.push(line),
    printErr: (line) => messages.push(line),
  }).then((module) => {
    freshHeapBytes ||= module.HEAPU8.buffer.byteLength;
    return module;
  });
  return instance;
}

/** Bytes of WebAssembly heap the decoder holds between images (0 when no instance is alive). */
export async function jpegDecoderHeapBytes(): Promise<number> {
  return instance ? (await instance).HEAPU8.buffer.byteLength : 0;
}

/**
 * Decodes JPEG bytes into RGBA. A file libjpeg finds corrupt or truncated is refused with libjpeg's words, as Pillow
 * refuses it, rather than decoded with grey where the data ran out (a camera file still being written, say).
 */
export async function decodeJpeg(bytes: Uint8Array): Promise<JpegBitmap> {
  const codec = await decoder();
  messages = [];
  let decoded: ReturnType<MozjpegModule["decode"]> | undefined;
  try {
    decoded = codec.decode(bytes, false);
  } catch (error) {
    // libjpeg has usually said why before it exits; the exit itself adds nothing.
    if (messages.length === 0) messages.push((error as Error).message ?? String(error));
  }
  if (!decoded || messages.length > 0) {
    instance = undefined;
    throw new Error(`corrupt JPEG: ${messages.join("; ") || "libjpeg returned no image"}`);
  }
  if (codec.HEAPU8.buffer.byteLength > freshHeapBytes) instance = undefined;
  const { width, height, data } = decoded;
  return { width, height, data: Buffer.from(data.buffer, data.byteOffset, data.byteLength) };
}
