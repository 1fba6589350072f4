import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { DATA_LAKE_PREFIXES } from "../contracts/dataLake";
import { createTarGz, TarEntry } from "../lib/tar";

/**
 * The training code as SageMaker's framework containers take it (`sagemaker_submit_directory`): a tar.gz of the
 * `training/` folder with the entry point at its root. Built at `pulumi up`, stored content-addressed under `code/`,
 * so a code change uploads a new object and the training jobs of older runs still find theirs.
 */
export const TRAINING_ENTRY_POINT = "train.py";

/** What never belongs in the archive: caches, hidden files, tests. */
function skippedFolder(name: string): boolean {
  return name.startsWith(".") || name === "__pycache__" || name === "tests" || name === "node_modules";
}

/** What the job runs: Python sources and the pip requirements (not the TypeScript tools beside them). */
function shipped(name: string): boolean {
  return name.endsWith(".py") || name === "requirements.txt";
}

function collect(root: string, relative = ""): TarEntry[] {
  return readdirSync(path.join(root, relative)).flatMap((name) => {
    const file = path.join(relative, name);
    const full = path.join(root, file);
    if (statSync(full).isDirectory()) return skippedFolder(name) ? [] : collect(root, file);
    return shipped(name) ? [{ name: file.split(path.sep).join("/"), data: readFileSync(full) }] : [];
  });
}

export interface TrainingCodeArchive {
  /** Data lake key, `code/training-<sha256 prefix>.tar.gz`. */
  key: string;
  tarball: Buffer;
  files: string[];
  /** Whether the folder has the entry point the training job runs. */
  hasEntryPoint: boolean;
}

export function trainingCodeArchive(sourceDir: string): TrainingCodeArchive {
  const entries = existsSync(sourceDir) ? collect(sourceDir) : [];
  const tarball = createTarGz(entries);
  const hash = createHash("sha256").update(tarball).digest("hex").slice(0, 16);
  return {
    key: `${DATA_LAKE_PREFIXES.trainingCode}training-${hash}.tar.gz`,
    tarball,
    files: entries.map((entry) => entry.name).sort(),
    hasEntryPoint: entries.some((entry) => entry.name === TRAINING_ENTRY_POINT),
  };
}

/** The archive as a file, for an upload (Pulumi's FileAsset): its data lake key, path, and whether it has the entry point. */
export interface TrainingCodeFile {
  key: string;
  path: string;
  hasEntryPoint: boolean;
}

/**
 * Builds the archive of `sourceDir` and writes it under `outDir`, named by its content hash, so every `pulumi up` of
 * the same code writes (and uploads) the same file.
 */
export function writeTrainingCodeArchive(
  sourceDir: string,
  outDir = path.join(tmpdir(), "qi-training-code"),
): TrainingCodeFile {
  const code = trainingCodeArchive(sourceDir);
  const file = path.join(outDir, path.basename(code.key));
  mkdirSync(outDir, { recursive: true });
  writeFileSync(file, code.tarball);
  return { key: code.key, path: file, hasEntryPoint: code.hasEntryPoint };
}
