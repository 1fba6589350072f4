import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import type { InferenceSession } from "onnxruntime-node";
import { z } from "zod";
import { datasetRecordSchema, Split } from "../../contracts/dataset";
import type { ModelManifest } from "../../contracts/modelManifest";
import { GOLDEN_OUTPUTS_FILE, goldenImageFile, GoldenOutputs } from "../../contracts/goldenOutputs";
import { ModelArtifactError, OptimisedModelMismatchError } from "../../lib/errors";
import { datasetKeys } from "../shared/datasets";
import { parseEvent } from "../shared/events";
import { parseJson } from "../shared/json";
import { compiledKeys, parseModelManifest } from "../../lib/models";
import type { Log, ObjectStore } from "../../lib/ports";
import { s3Uri } from "../../lib/s3Uri";
import { lines, readAll } from "../../lib/streams";
import { compareOutputs, OutputTensor } from "../../lib/outputComparison";
import { Bitmap, Letterboxer } from "../../lib/letterbox";

export const compileOnnxEventSchema = z.object({
  modelKey: z.string().min(1),
  manifestKey: z.string().min(1),
  modelVersion: z.string().min(1),
  /** The dataset whose first validation images are the golden images. */
  datasetId: z.string().min(1),
  goldenImages: z.number().int().positive().default(4),
  tolerance: z
    .object({ absolute: z.number().min(0), relative: z.number().min(0) })
    .default({ absolute: 1e-3, relative: 1e-3 }),
  /**
   * How far the device's outputs may be from these: its JPEG decoder and CPU differ from this function's, so a box may
   * move a pixel or two and a score by a few hundredths.
   */
  deviceTolerance: z
    .object({ absolute: z.number().min(0), relative: z.number().min(0) })
    .default({ absolute: 0.05, relative: 0.02 }),
});
export type CompileOnnxEvent = z.input<typeof compileOnnxEventSchema>;

export interface CompileOnnxResult {
  modelKey: string;
  manifestKey: string;
  /** Files besides model.onnx and model.json the model component carries (none for onnxruntime). */
  extraArtifactUris: string[];
  goldenImages: number;
  maxAbsDiff: number;
  originalBytes: number;
  optimisedBytes: number;
}

/** Writes an optimised copy of an ONNX model; `onnxruntimeOptimiser` is the real one. */
export type ModelOptimiser = (inputPath: string, outputPath: string) => Promise<void>;

export interface CompileOnnxDeps {
  objects: ObjectStore;
  log: Log;
  /** onnxruntime-node, passed in so that tests and the offline run use the same module the function loads. */
  ort: typeof import("onnxruntime-node");
  decodeImage: (bytes: Buffer) => Promise<Bitmap>;
  optimise?: ModelOptimiser;
}

export function onnxruntimeOptimiser(ort: CompileOnnxDeps["ort"]): ModelOptimiser {
  return async (inputPath, outputPath) => {
    const session = await ort.InferenceSession.create(inputPath, {
      // "extended", not "all": "all" bakes in layout transforms for the CPU it runs on (x86 here), which an ARM
      // device could not load. The device applies its own hardware-specific optimisations when it loads the model.
      graphOptimizationLevel: "extended",
      optimizedModelFilePath: outputPath,
    });
    await session.release();
  };
}

async function run(
  session: InferenceSession,
  ort: CompileOnnxDeps["ort"],
  manifest: ModelManifest,
  input: Float32Array,
) {
  const { name, width, height } = manifest.input;
  const outputs = await session.run({ [name]: new ort.Tensor("float32", input, [1, 3, height, width]) });
  return Object.fromEntries(
    Object.entries(outputs).map(([key, tensor]) => [
      key,
      { dims: tensor.dims, data: tensor.data as ArrayLike<number> },
    ]),
  ) as Record<string, OutputTensor>;
}

/** The first `count` validation images of a dataset. */
async function goldenImageKeys(objects: ObjectStore, datasetId: string, count: number): Promise<string[]> {
  const keys: string[] = [];
  const split: Split = "validation";
  const stream = await objects.read(datasetKeys(datasetId).annotations(split));
  for await (const line of lines(stream)) {
    if (line.trim() === "") continue;
    const record = datasetRecordSchema.safeParse(parseJson(line));
    if (!record.success)
      throw new ModelArtifactError(`a line of the golden images' annotations breaks the dataset contract`);
    keys.push(record.data.image);
    if (keys.length === count) break;
  }
  stream.destroy();
  return keys;
}

/**
 * The golden images and what the shipped model computed on them (`golden.json`), for the device to check again with
 * its own decoder and CPU before it runs the model (contracts/goldenOutputs.ts). Returns their URIs.
 */
async function writeGoldenOutputs(
  objects: ObjectStore,
  folder: string,
  modelVersion: string,
  golden: { key: string; bytes: Buffer; outputs: Record<string, OutputTensor> }[],
  tolerance: GoldenOutputs["tolerance"],
): Promise<string[]> {
  const images: GoldenOutputs["images"] = [];
  const keys: string[] = [];
  for (const [index, { key, bytes, outputs }] of golden.entries()) {
    const file = goldenImageFile(index, key);
    await objects.write(`${folder}${file}`, bytes, "application/octet-stream");
    keys.push(`${folder}${file}`);
    const tensors = Object.entries(outputs).map(([name, t]) => [
      name,
      { dims: [...t.dims], data: Array.from(t.data, Number) },
    ]);
    images.push({ file, source: key, outputs: Object.fromEntries(tensors) });
  }
  const document: GoldenOutputs = { schemaVersion: 1, modelVersion, tolerance, images };
  await objects.write(`${folder}${GOLDEN_OUTPUTS_FILE}`, JSON.stringify(document), "application/json");
  return [GOLDEN_OUTPUTS_FILE, ...keys.map((k) => k.slice(folder.length))].map((k) =>
    s3Uri(objects.bucket, `${folder}${k}`),
  );
}

/**
 * Optimises an ONNX model with onnxruntime (graph optimisation level "extended"), then runs the original and the optimised
 * model on golden images and fails unless every output agrees within the tolerance. Writes the optimised model and its
 * model.json to `compiled/<model version>/`.
 */
export async function compileOnnx(event: unknown, deps: CompileOnnxDeps): Promise<CompileOnnxResult> {
  const { objects, log, ort } = deps;
  const { modelKey, manifestKey, modelVersion, datasetId, goldenImages, tolerance, deviceTolerance } = parseEvent(
    compileOnnxEventSchema,
    event,
  );
  const manifestBytes = await readAll(await objects.read(manifestKey));
  const manifest = parseModelManifest(manifestBytes, manifestKey);
  const model = await readAll(await objects.read(modelKey));

  const workDir = await mkdtemp(path.join(tmpdir(), "compile-onnx-"));
  try {
    const originalPath = path.join(workDir, "original.onnx");
    const optimisedPath = path.join(workDir, "optimised.onnx");
    await writeFile(originalPath, model);
    await (deps.optimise ?? onnxruntimeOptimiser(ort))(originalPath, optimisedPath);
    const optimised = await readFile(optimisedPath);

    // Both files are run as they are, so the check sees exactly the graph that ships.
    const asIs = { graphOptimizationLevel: "disabled" } as const;
    const originalSession = await ort.InferenceSession.create(originalPath, asIs);
    const optimisedSession = await ort.InferenceSession.create(optimisedPath, asIs);
    const keys = await goldenImageKeys(objects, datasetId, goldenImages);
    const letterboxer = new Letterboxer(manifest.input);
    let maxAbsDiff = 0;
    const golden: { key: string; bytes: Buffer; outputs: Record<string, OutputTensor> }[] = [];
    try {
      for (const key of keys) {
        const bytes = await readAll(await objects.read(key));
        const image = await deps.decodeImage(bytes);
        // The device's own preprocessing, so the golden images reach both models as they reach the fleet.
        const input = letterboxer.apply(image).tensor;
        const outputs = await run(optimisedSession, ort, manifest, input);
        golden.push({ key, bytes, outputs });
        const comparison = compareOutputs(await run(originalSession, ort, manifest, input), outputs, tolerance);
        maxAbsDiff = Math.max(maxAbsDiff, comparison.maxAbsDiff);
        if (!comparison.equal) {
          throw new OptimisedModelMismatchError(
            `the optimised model of ${modelVersion} differs from the original on golden image ${key}: ${comparison.problems.join("; ")}`,
          );
        }
      }
    } finally {
      await originalSession.release();
      await optimisedSession.release();
    }

    const target = compiledKeys(modelVersion);
    await objects.write(target.onnx, optimised, "application/octet-stream");
    await objects.write(target.manifest, manifestBytes, "application/json");
    const result: CompileOnnxResult = {
      modelKey: target.onnx,
      manifestKey: target.manifest,
      extraArtifactUris: await writeGoldenOutputs(objects, target.folder, manifest.version, golden, deviceTolerance),
      goldenImages: keys.length,
      maxAbsDiff,
      originalBytes: model.length,
      optimisedBytes: optimised.length,
    };
    log.info("model optimised", { modelVersion, ...result });
    return result;
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}
