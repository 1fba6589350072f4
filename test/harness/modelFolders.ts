import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ModelManifest } from "../../contracts/modelManifest";
import { torchvisionModel } from "./onnxModels";

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

/**
 * A 320×320 torchvision-layout detector that finds one scratch (input box 30,70–120,130) with `score`, in a model
 * folder with its model.json: the edge tests' stand-in for a trained model.
 */
export function oneScratchDetector(parent: string, score: number, name = "model"): string {
  return modelFolder(
    parent,
    name,
    torchvisionModel({ width: 320, height: 320 }, { boxes: [[30, 70, 120, 130]], scores: [score], labels: [1] }),
    manifestFor({ layout: "torchvision", input: { name: "images", width: 320, height: 320, padValue: 114 } }),
  );
}
