import { promises as fs, Stats } from "node:fs";
import path from "node:path";
import { isImageFile } from "../../../lib/imageFiles";
import { SourceProblem } from "./source";

/** Image files directly in `dir`, sorted by code point so the order is the same on every device. */
export async function listImages(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch (error) {
    // The app's wording since the first version; a folder that went away is waited for, not fatal.
    throw new SourceProblem(`cannot list ${dir}: ${(error as Error).message}`);
  }
  return entries
    .filter((e) => (e.isFile() || e.isSymbolicLink()) && isImageFile(e.name))
    .map((e) => e.name)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Size and modification time: a file that changed is a new file. */
export const signatureOf = (stat: Stats): string => `${stat.size}:${stat.mtimeMs}`;

export async function statOrUndefined(file: string): Promise<Stats | undefined> {
  return fs.stat(file).catch(() => undefined);
}

export const inFolder = (dir: string, name: string) => path.join(dir, name);
