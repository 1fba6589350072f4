import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { GOLDEN_OUTPUTS_FILE, goldenOutputsSchema } from "../../contracts/goldenOutputs";
import { compareOutputs, OutputTensor } from "../../lib/outputComparison";
import type { Detector } from "./detector";

export interface GoldenCheck {
  /** Golden images checked; 0 when the model ships none (a model from before golden.json, or a bare .onnx). */
  checked: number;
  /** One line per image whose outputs differ beyond the tolerance, naming the image and how. */
  problems: string[];
  /** Largest difference from a recorded value, over every image and output. */
  maxAbsDiff: number;
}

/**
 * Runs the model on the golden images the model component ships, with this device's decoder, preprocessing and CPU,
 * and compares its raw outputs with what the pipeline recorded (contracts/goldenOutputs.ts). `--check`, the
 * component's Install step, fails on a difference, so Greengrass rolls the device back instead of running a model
 * that computes something else here.
 */
export async function checkGoldenOutputs(detector: Detector, modelPath: string): Promise<GoldenCheck> {
  const folder = (await stat(modelPath)).isDirectory() ? modelPath : path.dirname(modelPath);
  const file = path.join(folder, GOLDEN_OUTPUTS_FILE);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { checked: 0, problems: [], maxAbsDiff: 0 };
    throw error;
  }
  const parsed = goldenOutputsSchema.safeParse(JSON.parse(text));
  if (!parsed.success) return { checked: 0, problems: [`${file} breaks the golden outputs contract`], maxAbsDiff: 0 };
  const { images, tolerance } = parsed.data;
  const problems: string[] = [];
  let maxAbsDiff = 0;
  for (const image of images) {
    const { tensor } = detector.preprocess(await detector.decode(await readFile(path.join(folder, image.file))));
    const outputs = await detector.run(tensor);
    const actual = Object.fromEntries(
      Object.entries(outputs).map(([name, t]): [string, OutputTensor] => [
        name,
        { dims: t.dims, data: t.data as ArrayLike<number | bigint> },
      ]),
    );
    const comparison = compareOutputs(image.outputs, actual, tolerance);
    maxAbsDiff = Math.max(maxAbsDiff, comparison.maxAbsDiff);
    if (!comparison.equal)
      problems.push(`golden image ${image.file} (${image.source}): ${comparison.problems.join("; ")}`);
  }
  return { checked: images.length, problems, maxAbsDiff };
}
