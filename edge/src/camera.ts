import { promises as fs } from "node:fs";
import { isImageFile } from "../../lib/imageFiles";

/**
 * The "camera": a folder of images, listed afresh on every pass so images can be added or removed while the
 * detector runs. Names sort by code point, so the order is the same on every device.
 */
export class ImageFolder {
  constructor(readonly dir: string) {}

  async list(): Promise<string[]> {
    const entries = await fs.readdir(this.dir, { withFileTypes: true });
    return entries
      .filter((e) => (e.isFile() || e.isSymbolicLink()) && isImageFile(e.name))
      .map((e) => e.name)
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }
}
