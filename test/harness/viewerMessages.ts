import { createHash } from "node:crypto";
import path from "node:path";
import { expect } from "chai";
import {
  Box,
  InferenceError,
  InferenceErrorCode,
  InferenceResult,
  inferenceErrorProblems,
  inferenceResultProblems,
} from "../../contracts/inferenceMessages";
import { errorMessage, resultMessage } from "../../edge/src/messages";
import { realSampleImages } from "./images";
import { scratchLabels } from "./scratches";

/** Messages as the edge detector builds them (its own builders), checked against the schemas before use. */

export const MODEL = { name: "scratch-detector", version: "train-2026-11-29", classes: ["scratch"] };

/** A v4-shaped UUID that is the same for the same seed, so tests and screenshots repeat exactly. */
export function uuidFor(seed: string): string {
  const h = createHash("sha256").update(seed).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function result(
  imageName: string,
  detections: { score: number; box: Box; classId?: number }[],
  options: { width?: number; height?: number; seed?: string; inferenceMs?: number; thingName?: string } = {},
): InferenceResult {
  const run = options.inferenceMs ?? 40;
  const message = resultMessage(
    imageName,
    {
      width: options.width ?? 450,
      height: options.height ?? 300,
      detections: detections.map((d) => ({ classId: d.classId ?? 0, score: d.score, box: d.box })),
      timings: { decode: 0, preprocess: 0, run, postprocess: 0 },
    },
    MODEL,
    { thingName: options.thingName ?? "line-1", messageId: uuidFor(options.seed ?? imageName) },
  );
  expect(inferenceResultProblems(message), "a test result must be valid").to.deep.equal([]);
  return message;
}

export function deviceError(code: InferenceErrorCode, message: string, imageName?: string): InferenceError {
  const error = errorMessage(
    code,
    message,
    { thingName: "line-1", messageId: uuidFor(`${code}${imageName}`) },
    {
      imageName,
    },
  );
  expect(inferenceErrorProblems(error), "a test error must be valid").to.deep.equal([]);
  return error;
}

/**
 * Results for the real camera samples with the boxes of their labels as detections (the sample data has labels,
 * not a detector's output) and made-up but repeatable scores, some under the default pass threshold.
 */
export function labelledSampleResults(): { file: string; result: InferenceResult }[] {
  const samples = realSampleImages();
  if (samples.length === 0) return [];
  const labels = new Map(scratchLabels("samples").map(({ key, record }) => [path.basename(key), record]));
  return samples.flatMap((file) => {
    const name = path.basename(file);
    const record = labels.get(name);
    if (!record) return [];
    const byte = createHash("sha256").update(name).digest()[0];
    const top = 0.35 + (byte / 255) * 0.6;
    const annotations = JSON.parse(record.annotations) as {
      left: number;
      top: number;
      width: number;
      height: number;
    }[];
    const detections = annotations.map((a, i) => ({
      score: Math.round((top - i * 0.07) * 100) / 100,
      box: [a.left, a.top, a.left + a.width, a.top + a.height] as Box,
    }));
    const options = { width: record.image_width, height: record.image_height, inferenceMs: 30 + (byte % 40) };
    return [{ file, result: result(name, detections, options) }];
  });
}
