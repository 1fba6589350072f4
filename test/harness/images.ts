import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { Jimp } from "jimp";
import { SCRATCHES_DIR } from "./scratches";

/** A JPEG of the given size: a horizontal and vertical colour gradient, with an optional dark bar ("scratch"). */
export async function gradientJpeg(
  width: number,
  height: number,
  scratch?: { x: number; y: number; w: number; h: number },
): Promise<Buffer> {
  const image = new Jimp({ width, height, color: 0x000000ff });
  const data = image.bitmap.data;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      const inScratch =
        scratch && x >= scratch.x && x < scratch.x + scratch.w && y >= scratch.y && y < scratch.y + scratch.h;
      data[i] = inScratch ? 20 : Math.round((255 * x) / Math.max(1, width - 1));
      data[i + 1] = inScratch ? 20 : Math.round((255 * y) / Math.max(1, height - 1));
      data[i + 2] = inScratch ? 20 : 128;
    }
  }
  return image.getBuffer("image/jpeg", { quality: 92 });
}

/** Root of the real sample data, or undefined in a fresh clone (tests that need it skip and say why). */
export function scratchesDir(): string | undefined {
  return existsSync(path.join(SCRATCHES_DIR, "images")) ? SCRATCHES_DIR : undefined;
}

/** Paths of the real camera sample images (17 JPEGs), when the data is present. */
export function realSampleImages(): string[] {
  const dir = scratchesDir();
  if (!dir) return [];
  const samples = path.join(dir, "sample_images");
  return readdirSync(samples)
    .filter((f) => f.endsWith(".jpg"))
    .sort()
    .map((f) => path.join(samples, f));
}

export const NO_SCRATCHES_DATA =
  "the real images are missing: ../shared/datasets/scratches is not next to the repository (set QI_SCRATCHES_DIR)";
