import { createJimp } from "@jimp/core";
import { defaultFormats } from "jimp";
import { decodeJpeg } from "./jpeg";
import { Bitmap } from "../../lib/letterbox";

/**
 * jimp with its JPEG decoder swapped for libjpeg-turbo (./jpeg); PNG and BMP as jimp decodes them. No plugins: the
 * detector only reads the bitmap.
 */
const EdgeJimp = createJimp({
  formats: defaultFormats.map((format) =>
    format().mime === "image/jpeg" ? () => ({ ...format(), decode: decodeJpeg }) : format,
  ),
});

/** The bytes are not an image jimp can decode. */
export class ImageDecodeError extends Error {
  override name = "ImageDecodeError";
}

/** Decodes JPEG, PNG or BMP bytes into an RGBA bitmap. */
export async function decodeImage(bytes: Buffer): Promise<Bitmap> {
  let image;
  try {
    image = await EdgeJimp.fromBuffer(bytes);
  } catch (error) {
    throw new ImageDecodeError(`cannot decode image: ${(error as Error).message}`);
  }
  const { width, height, data } = image.bitmap;
  if (!width || !height || data.length < width * height * 4) {
    throw new ImageDecodeError(`cannot decode image: empty or incomplete bitmap (${width}x${height})`);
  }
  return { width, height, data };
}
