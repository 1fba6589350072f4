import { z } from "zod";
import { DATA_LAKE_PREFIXES } from "../contracts/dataLake";
import { MODEL_MANIFEST_FILE, ModelManifest, modelManifestSchema } from "../contracts/modelManifest";
import { ModelArtifactError } from "./errors";

/**
 * The model the fleet runs: written by the run that deployed it (RecordChampion, after the deployment succeeded), read
 * by the next training run's EvaluateModel, which compares its new model with this one on the same test split.
 */
export const CHAMPION_KEY = `${DATA_LAKE_PREFIXES.models}champion.json`;
export const championSchema = z.object({
  modelVersion: z.string().min(1),
  packageArn: z.string().min(1),
  /** The ONNX file and model.json that shipped. */
  modelKey: z.string().min(1),
  manifestKey: z.string().min(1),
  deployedBy: z.string().min(1),
});
export type Champion = z.infer<typeof championSchema>;

/** Where the pipeline keeps the files of one trained model (training job), next to SageMaker's `output/`. */
export function modelKeys(trainingJobName: string) {
  const folder = `${DATA_LAKE_PREFIXES.models}${trainingJobName}/model/`;
  return {
    folder,
    onnx: `${folder}model.onnx`,
    manifest: `${folder}model.json`,
    /** A tar.gz with only the ONNX file, as SageMaker Neo takes an ONNX model. */
    neoInput: `${folder}neo-input.tar.gz`,
    /** The metrics and the gate decision; the model package's ModelQuality statistics. */
    evaluation: `${folder}evaluation.json`,
  };
}

/** Where a compiled (optimised) model of one model version goes. */
export function compiledKeys(modelVersion: string) {
  const folder = `${DATA_LAKE_PREFIXES.compiled}${modelVersion}/`;
  return { folder, onnx: `${folder}model.onnx`, manifest: `${folder}model.json`, neo: `${folder}neo/` };
}

/** Reads a model.json against the contract; `source` says where it came from in the error, which names each bad field. */
export function parseModelManifest(bytes: Buffer, source: string): ModelManifest {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString("utf8"));
  } catch {
    throw new ModelArtifactError(`${MODEL_MANIFEST_FILE} in ${source} is not JSON`);
  }
  const parsed = modelManifestSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
    throw new ModelArtifactError(`${MODEL_MANIFEST_FILE} in ${source} breaks the contract: ${problems.join("; ")}`);
  }
  return parsed.data;
}
