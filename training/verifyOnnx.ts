import { Command } from "commander";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import * as ort from "onnxruntime-node";
import { z } from "zod";
import { EXPORT_CHECK_SCRIPT, findPython } from "./python";

/**
 * The ONNX half of the export check where Python has no onnxruntime (Debian, this repository's CI): runs the exported
 * model with onnxruntime-node on the tensors train.py saved, writes `onnxruntime.json`, and lets `export_check.py`
 * compare them with the PyTorch detections (one comparison, in one place).
 */

const detectionsSchema = z.object({
  boxes: z.array(z.array(z.number()).length(4)),
  scores: z.array(z.number()),
  labels: z.array(z.number().int()),
});
export type Detections = z.infer<typeof detectionsSchema>;

export const checkSchema = z.object({
  input: z.object({ name: z.string().min(1), shape: z.array(z.number().int().positive()).length(4) }),
  scoreFloor: z.number().min(0).max(1),
  images: z.array(z.object({ image: z.string(), tensor: z.string().regex(/^[^/]+\.f32$/), pytorch: detectionsSchema })),
});
export type Check = z.infer<typeof checkSchema>;

export const CHECK_FILE = "check.json";
export const ONNXRUNTIME_FILE = "onnxruntime.json";

export function readCheck(folder: string): Check {
  const file = path.join(folder, CHECK_FILE);
  const parsed = checkSchema.safeParse(JSON.parse(readFileSync(file, "utf8")));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${file}: field ${issue.path.join(".")}: ${issue.message}`);
  }
  return parsed.data;
}

/** A float32 tensor file written by numpy (`<f4`, little-endian). */
export function readTensor(file: string, shape: number[]): ort.Tensor {
  const bytes = readFileSync(file);
  const expected = shape.reduce((a, b) => a * b, 1);
  if (bytes.length !== expected * 4) throw new Error(`${file}: ${bytes.length} bytes, expected ${expected * 4}`);
  const values = new Float32Array(expected);
  for (let i = 0; i < expected; i += 1) values[i] = bytes.readFloatLE(i * 4);
  return new ort.Tensor("float32", values, shape);
}

/** The detections of one torchvision-layout output (boxes [N,4], scores [N], labels [N]). */
export function detectionsOf(outputs: ort.InferenceSession.OnnxValueMapType): Detections {
  const boxes = Array.from(outputs.boxes.data as Float32Array);
  return {
    boxes: Array.from({ length: boxes.length / 4 }, (_, i) => boxes.slice(i * 4, i * 4 + 4)),
    scores: Array.from(outputs.scores.data as Float32Array),
    labels: Array.from(outputs.labels.data as BigInt64Array, Number),
  };
}

/** Runs the model on every check tensor and writes `onnxruntime.json` next to `check.json`. */
export async function runOnnxruntime(modelPath: string, folder: string): Promise<Detections[]> {
  const check = readCheck(folder);
  const session = await ort.InferenceSession.create(modelPath);
  try {
    const results: Detections[] = [];
    for (const image of check.images) {
      const tensor = readTensor(path.join(folder, image.tensor), check.input.shape);
      results.push(detectionsOf(await session.run({ [check.input.name]: tensor })));
    }
    writeFileSync(path.join(folder, ONNXRUNTIME_FILE), JSON.stringify({ images: results }));
    return results;
  } finally {
    await session.release();
  }
}

export interface Agreement {
  ok: boolean;
  /** export_check.py's report line. */
  report: string;
}

/** Compares `onnxruntime.json` with the PyTorch detections using training/export_check.py. */
export function compareWithPytorch(folder: string, python = findPython()): Agreement {
  const result = spawnSync(python, [EXPORT_CHECK_SCRIPT, folder], { encoding: "utf8" });
  if (result.error) throw new Error(`${python} cannot be run (${result.error.message})`);
  return { ok: result.status === 0, report: `${result.stdout}${result.stderr}`.trim() };
}

/** Runs the exported model with onnxruntime-node and compares its detections with PyTorch's (`python` runs the check). */
export async function verifyOnnx(modelPath: string, folder: string, python = findPython()): Promise<Agreement> {
  await runOnnxruntime(modelPath, folder);
  return compareWithPytorch(folder, python);
}

async function main(argv: string[]): Promise<number> {
  const options = new Command()
    .name("train:verify-onnx")
    .description("Compare an exported model's detections (onnxruntime-node) with the PyTorch ones train.py saved.")
    .requiredOption("--model <onnx>", "the exported model, e.g. <model dir>/model.onnx")
    .requiredOption("--check <folder>", "train.py's export check folder, e.g. <output data dir>/export-check")
    .parse(argv)
    .opts<{ model: string; check: string }>();
  const agreement = await verifyOnnx(options.model, options.check);
  console.log(agreement.report);
  return agreement.ok ? 0 : 1;
}

if (require.main === module) {
  main(process.argv).then(
    (code) => process.exit(code),
    (error: Error) => {
      console.error(`train:verify-onnx: ${error.message}`);
      process.exit(1);
    },
  );
}
