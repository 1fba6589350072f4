import path from "node:path";

/**
 * The image files the camera source reads (jimp decodes each), with their content types: for the detector's camera
 * folder, the images it sends back, and the viewer's image server. No dependencies, so the viewer can use it.
 */
export const IMAGE_CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".png": "image/png",
  ".bmp": "image/bmp",
};

/** The content type of an image file the camera source reads; undefined for any other file, hidden ones included. */
export function imageContentType(name: string): string | undefined {
  return name.startsWith(".") ? undefined : IMAGE_CONTENT_TYPES[path.extname(name).toLowerCase()];
}

export const isImageFile = (name: string): boolean => imageContentType(name) !== undefined;
