import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ModelManifest } from "../../contracts/modelManifest";

/** A fresh temporary folder for one test file's fixtures. */
export function tempDir(prefix: string): string {
  return mkdtempSync(path.join(os.tmpdir(), `qi-${prefix}-`));
}

/** A valid model.json for a fixture, with the given overrides. */
export function manifestFor(
  overrides: Partial<ModelManifest> & Pick<ModelManifest, "layout" | "input">,
): ModelManifest {
  return {
    schemaVersion: 1,
    name: "scratch-detector",
    version: "fixture-1",
    file: "model.onnx",
    classes: ["scratch"],
    labelOffset: overrides.layout === "torchvision" ? 1 : 0,
    scoreThreshold: 0.5,
    metrics: { validation: { map50_95: 0.5, map50: 0.8, precision: 0.8, recall: 0.8, images: 10 } },
    ...overrides,
  };
}

/** Writes `model.onnx` (and `model.json` when given) into a new folder and returns the folder. */
export function modelFolder(parent: string, name: string, onnx: Buffer, manifest?: unknown): string {
  const dir = path.join(parent, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, "model.onnx"), onnx);
  if (manifest !== undefined) writeFileSync(path.join(dir, "model.json"), JSON.stringify(manifest, null, 2));
  return dir;
}
