import { DATA_LAKE_PREFIXES } from "../../contracts/dataLake";

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
