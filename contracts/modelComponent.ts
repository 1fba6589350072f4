import { DATA_LAKE_PREFIXES } from "./dataLake";

/**
 * How a trained model reaches a device: as its own Greengrass component holding `model.onnx` and `model.json` as
 * plain artifacts. The inference component depends on it and finds the files at `{<model component>:artifacts:path}`.
 */
export const MODEL_FILES = ["model.onnx", "model.json"] as const;

export function componentNames(namePrefix: string) {
  return {
    /** The detector runtime (edge/), deployed with every model. */
    inference: `${namePrefix}.ScratchDetector`,
    /** The model files. */
    model: `${namePrefix}.ScratchDetectorModel`,
  };
}

/** A model package version (1, 2, …) becomes component version 1.0.<n>: monotonic, and derived, never invented. */
export function modelComponentVersion(modelPackageVersion: number): string {
  if (!Number.isInteger(modelPackageVersion) || modelPackageVersion < 1) {
    throw new Error(`model package version must be a positive integer, got ${modelPackageVersion}`);
  }
  return `1.0.${modelPackageVersion}`;
}

/** Data lake key of one artifact of a component version. */
export function componentArtifactKey(componentName: string, version: string, file: string): string {
  return `${DATA_LAKE_PREFIXES.components}${componentName}/${version}/${file}`;
}
