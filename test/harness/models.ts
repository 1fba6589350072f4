import type { ModelManifest } from "../../contracts/modelManifest";
import { createTarGz } from "../../lib/tar";

export function manifestFor(overrides: Partial<ModelManifest> = {}): ModelManifest {
  return {
    schemaVersion: 1,
    name: "scratch-detector",
    version: "qi-dev-train-run-1-3fa2b1c9",
    file: "model.onnx",
    layout: "torchvision",
    input: { name: "images", width: 64, height: 48, padValue: 114 },
    classes: ["scratch"],
    labelOffset: 1,
    scoreThreshold: 0.3,
    metrics: {
      validation: { map50_95: 0.45, map50: 0.81, precision: 0.7, recall: 0.66, images: 24 },
      test: { map50_95: 0.43, map50: 0.79, precision: 0.69, recall: 0.64, images: 23 },
    },
    training: {
      architecture: "ssdlite320_mobilenet_v3_large",
      framework: "torch 2.5.1",
      epochs: 20,
      seconds: 812,
      seed: 0,
      dataHash: "ab".repeat(32),
      createdAt: "2026-12-01T07:00:00.000Z",
    },
    ...overrides,
  };
}

/** A model.tar.gz as the training job writes it. */
export function modelTarball(manifest: unknown, onnx: Buffer = Buffer.from("onnx-bytes")): Buffer {
  return createTarGz([
    { name: "model.json", data: Buffer.from(JSON.stringify(manifest)) },
    { name: "model.onnx", data: onnx },
    { name: "metrics.json", data: Buffer.from("{}") },
  ]);
}
