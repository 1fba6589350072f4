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

/** The Greengrass recipe format both component recipes (model and inference) are written in. */
export const RECIPE_FORMAT_VERSION = "2020-01-25";

/** What comes before the model package version in a model component version. */
export const MODEL_COMPONENT_VERSION_PREFIX = "1.0.";

/** A model package version (1, 2, …) becomes component version 1.0.<n>: monotonic, and derived, never invented. */
export function modelComponentVersion(modelPackageVersion: number): string {
  if (!Number.isInteger(modelPackageVersion) || modelPackageVersion < 1) {
    throw new Error(`model package version must be a positive integer, got ${modelPackageVersion}`);
  }
  return `${MODEL_COMPONENT_VERSION_PREFIX}${modelPackageVersion}`;
}

/** Data lake key of one artifact of a component version. */
export function componentArtifactKey(componentName: string, version: string, file: string): string {
  return `${DATA_LAKE_PREFIXES.components}${componentName}/${version}/${file}`;
}

/** The inference component's recipe, stored beside its artifact; the deploy stage creates the version from it. */
export const INFERENCE_RECIPE_FILE = "recipe.json";

/**
 * The inference component's version is derived from its artifact's SHA-256 (the first 28 bits as the patch number):
 * a new build is a new version and an unchanged build keeps its version. Such versions are unique but not ordered;
 * deployments always name the exact version.
 */
export function inferenceComponentVersion(artifactSha256: string): string {
  if (!/^[0-9a-f]{64}$/.test(artifactSha256)) {
    throw new Error(`artifact hash must be 64 hex digits, got ${JSON.stringify(artifactSha256)}`);
  }
  return `1.0.${parseInt(artifactSha256.slice(0, 7), 16)}`;
}
