import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import * as ort from "onnxruntime-node";
import { decodeImage } from "../../lambdas/shared/decode";
import { compileOnnx } from "../../lambdas/compileOnnx/handler";
import { MemoryObjectStore, recordingLog } from "../fakes/memoryPorts";
import { gradientJpeg } from "./images";
import { manifestFor } from "./modelFolders";
import { convDetectorModel } from "./onnxModels";

export const GOLDEN_MODEL_VERSION = "qi-dev-train-golden-1";
export const GOLDEN_MODEL_SIZE = 320;
const MANIFEST = manifestFor({
  layout: "yolov8",
  version: GOLDEN_MODEL_VERSION,
  labelOffset: 0,
  input: { name: "images", width: GOLDEN_MODEL_SIZE, height: GOLDEN_MODEL_SIZE, padValue: 114 },
});

/** The model component's files as the pipeline ships them: CompileOnnx's output for a detector-sized model. */
export async function shippedComponent(dir: string): Promise<string> {
  const objects = new MemoryObjectStore()
    .put(`models/${GOLDEN_MODEL_VERSION}/model.onnx`, convDetectorModel({ size: GOLDEN_MODEL_SIZE, seed: 1 }))
    .put(`models/${GOLDEN_MODEL_VERSION}/model.json`, JSON.stringify(MANIFEST));
  const lines: string[] = [];
  for (let i = 0; i < 3; i++) {
    const key = `images/line-1/part-${i}.jpg`;
    objects.put(key, await gradientJpeg(450, 300, { x: 60 + 40 * i, y: 100, w: 150, h: 12 }));
    lines.push(
      JSON.stringify({ image: key, image_id: String(i).padStart(32, "0"), width: 450, height: 300, annotations: [] }),
    );
  }
  objects.put("datasets/golden/validation/annotations.jsonl", `${lines.join("\n")}\n`);
  const result = await compileOnnx(
    {
      modelKey: `models/${GOLDEN_MODEL_VERSION}/model.onnx`,
      manifestKey: `models/${GOLDEN_MODEL_VERSION}/model.json`,
      modelVersion: GOLDEN_MODEL_VERSION,
      datasetId: "golden",
      goldenImages: 3,
    },
    { objects, log: recordingLog(), ort, decodeImage },
  );
  const component = path.join(dir, "component");
  mkdirSync(component, { recursive: true });
  for (const uri of [result.modelKey, result.manifestKey, ...result.extraArtifactUris]) {
    const key = uri.replace(/^s3:\/\/[^/]+\//, "");
    writeFileSync(path.join(component, key.split("/").at(-1)!), objects.objects.get(key)!.body);
  }
  return component;
}
