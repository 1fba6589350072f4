import { decodeJpeg } from "./jpeg";
import { DEFAULT_MAX_IMAGE_PIXELS, ImageDecodeError, readImageHeader } from "./imageHeader";
import { Bitmap } from "../../lib/letterbox";

export { DEFAULT_MAX_IMAGE_PIXELS, ImageDecodeError } from "./imageHeader";

type Decode = (bytes: Buffer) => Promise<{ width: number; height: number; data: Buffer }>;
let otherFormats: Promise<Decode> | undefined;

/**
 * jimp for PNG, BMP, GIF and TIFF, loaded the first time one arrives: JPEG cameras never pay for it (jimp and its
 * plugins are ~15 MB of a device's memory).
 */
function jimpDecoder(): Promise<Decode> {
  otherFormats ??= Promise.all([import("@jimp/core"), import("jimp")]).then(([{ createJimp }, { defaultFormats }]) => {
    const jimp = createJimp({ formats: defaultFormats });
    return async (bytes) => (await jimp.fromBuffer(bytes)).bitmap;
  });
  return otherFormats;
}

/**
 * Decodes JPEG (libjpeg-turbo, ./jpeg), PNG, BMP, GIF or TIFF bytes into an RGBA bitmap. The size is read from the
 * header first: an image of more than `maxPixels` is refused with IMAGE_TOO_LARGE before any pixel is decoded.
 */
export async function decodeImage(bytes: Buffer, maxPixels = DEFAULT_MAX_IMAGE_PIXELS): Promise<Bitmap> {
  const { format, width: w, height: h } = readImageHeader(bytes);
  if (w !== undefined && h !== undefined && w * h > maxPixels) {
    throw new ImageDecodeError(
      `${w}x${h} pixels (${megapixels(w * h)} MP) is more than the limit of ${maxPixels} pixels (${megapixels(maxPixels)} MP); not decoded`,
      "IMAGE_TOO_LARGE",
    );
  }
  let image;
  try {
    image = format === "jpeg" ? await decodeJpeg(bytes) : await (await jimpDecoder())(bytes);
  } catch (error) {
    throw new ImageDecodeError(`cannot decode ${format.toUpperCase()} image: ${(error as Error).message}`);
  }
  const { width, height, data } = image;
  if (!width || !height || data.length < width * height * 4) {
    throw new ImageDecodeError(`cannot decode image: empty or incomplete bitmap (${width}x${height})`);
  }
  return { width, height, data };
}

const megapixels = (pixels: number) => String(Math.round(pixels / 100_000) / 10);
