import { promises as fs } from "node:fs";
import path from "node:path";

/**
 * Writes a file whole or not at all: to a hidden temporary name beside it, ending in `.tmp`, then renamed over it. The
 * temporary name never ends in an image or message extension, so a crash cannot leave something that looks like one.
 */
export async function writeAtomically(file: string, data: string | Uint8Array): Promise<void> {
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  await fs.writeFile(temporary, data);
  await fs.rename(temporary, file);
}
