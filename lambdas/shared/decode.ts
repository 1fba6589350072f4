import { Jimp } from "jimp";
import type { Bitmap } from "../../lib/letterbox";

/** Decodes a JPEG or PNG into RGBA pixels. */
export async function decodeImage(bytes: Buffer): Promise<Bitmap> {
  const image = await Jimp.read(bytes);
  return { width: image.bitmap.width, height: image.bitmap.height, data: image.bitmap.data };
}
