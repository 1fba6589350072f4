import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Jimp } from "jimp";
import sharp from "sharp";
import { letterboxGeometry } from "../contracts/modelManifest";
import { Detector } from "../edge/src/detector";
import { gradientJpeg, realSampleImages } from "../test/harness/images";
import { convDetectorModel } from "../test/harness/onnxModels";

/**
 * `npm run bench:edge -- [model dir or .onnx] [--frames N] [--threads N]`
 *
 * Times each stage of the edge detector on real camera images (generated ones without the data set): decode,
 * preprocess, session.run, postprocess; frames/s, RSS, and the overhead ratio (decode + preprocess + postprocess) /
 * run. Then stock jimp (jpeg-js) against sharp and against the edge's own path (jimp with libjpeg-turbo as WebAssembly,
 * plus the fused letterbox) for decoding and resizing the same 450×300 JPEG. The last line is JSON.
 *
 * Without a model argument it uses models/demo/ when present, else a generated 640×640 detector-sized network.
 */

const ROOT = path.resolve(__dirname, "..");

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  if (at === -1) return fallback;
  const value = Number(process.argv[at + 1]);
  if (!Number.isInteger(value) || value < 0)
    throw new Error(`${name} must be a whole number (got ${process.argv[at + 1]})`);
  return value;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

const round = (v: number, decimals = 2) => Math.round(v * 10 ** decimals) / 10 ** decimals;

async function timeIt(iterations: number, work: () => Promise<unknown>): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const start = performance.now();
    await work();
    times.push(performance.now() - start);
  }
  return times;
}

type Stage = "decode" | "preprocess" | "run" | "postprocess";
const STAGES: Stage[] = ["decode", "preprocess", "run", "postprocess"];

/** The model to time: the argument, else models/demo/, else a generated detector-sized network. */
function chooseModel(): { modelPath: string; scoreThreshold?: number } {
  const positional = process.argv.slice(2).filter((a, i, all) => !a.startsWith("--") && !all[i - 1]?.startsWith("--"));
  const demo = path.join(ROOT, "models", "demo");
  if (positional[0]) return { modelPath: positional[0] };
  // --generated: the generated detector even where the demo model exists, to compare the two.
  if (existsSync(demo) && !process.argv.includes("--generated")) return { modelPath: demo };
  // Generated once into the git-ignored .local/ and reused.
  const modelPath = path.join(ROOT, ".local", "bench", "conv-detector-640.onnx");
  if (!existsSync(modelPath)) {
    mkdirSync(path.dirname(modelPath), { recursive: true });
    writeFileSync(modelPath, convDetectorModel({ size: 640, classes: 1 }));
  }
  console.log(
    "model: generated 640×640 YOLOv8-layout network (~4.8 GFLOPs, random weights); pass a model to use your own",
  );
  // A YOLOv8 export's usual confidence threshold.
  return { modelPath, scoreThreshold: 0.25 };
}

/** Real camera images where the data set is here, else generated ones of the same size. */
async function loadImages(): Promise<{ name: string; bytes: Buffer }[]> {
  const images = realSampleImages().map((file) => ({ name: path.basename(file), bytes: readFileSync(file) }));
  if (images.length > 0) {
    console.log(`images: ${images.length} real camera images (450×300 JPEG)`);
    return images;
  }
  console.log("images: generated 450×300 JPEGs (../shared/datasets/scratches is not here)");
  return Promise.all(
    Array.from({ length: 8 }, async (_, i) => ({
      name: `generated-${i}.jpg`,
      bytes: await gradientJpeg(450, 300, { x: 40 * i, y: 100, w: 60, h: 6 }),
    })),
  );
}

/** The device's own path and stage timings (Detector.inspect) over `frames` frames after a short warm-up. */
async function timeStages(detector: Detector, images: { bytes: Buffer }[], frames: number) {
  const stages: Record<Stage, number[]> = { decode: [], preprocess: [], run: [], postprocess: [] };
  let detections = 0;
  const warmup = 3;
  let startedAt = 0;
  for (let i = 0; i < warmup + frames; i++) {
    if (i === warmup) startedAt = performance.now();
    const inspection = await detector.inspect(images[i % images.length].bytes);
    if (i < warmup) continue;
    for (const stage of STAGES) stages[stage].push(inspection.timings[stage]);
    detections += inspection.detections.length;
  }
  const seconds = (performance.now() - startedAt) / 1000;
  const rssMb = process.memoryUsage().rss / 1024 / 1024;
  const at = (p: number) =>
    Object.fromEntries(STAGES.map((stage) => [stage, round(percentile(stages[stage], p))])) as Record<Stage, number>;
  const p50 = at(50);
  const p95 = at(95);
  const overheadRatio = round((p50.decode + p50.preprocess + p50.postprocess) / p50.run, 3);
  console.log(`\n${frames} frames, ${detections} detections in all`);
  console.log("stage         p50 ms   p95 ms");
  for (const stage of STAGES) {
    console.log(`${stage.padEnd(12)} ${p50[stage].toFixed(2).padStart(7)}  ${p95[stage].toFixed(2).padStart(7)}`);
  }
  const fps = round(frames / seconds, 1);
  console.log(
    `frames/s ${fps}, RSS ${rssMb.toFixed(0)} MiB, (decode + preprocess + postprocess) / run = ${overheadRatio}`,
  );
  return { p50Ms: p50, p95Ms: p95, fps, rssMb: round(rssMb, 1), overheadRatio };
}

/** Decode + resize of one camera image to the model's letterboxed size, three ways. */
async function compareDecoders(detector: Detector, image: { name: string; bytes: Buffer }) {
  const { bytes } = image;
  const { spec } = detector;
  const { width: w, height: h } = letterboxGeometry(
    ...sizeOf(await detector.decode(bytes)),
    spec.input.width,
    spec.input.height,
  );
  const reps = 30;
  await Jimp.fromBuffer(bytes);
  await sharp(bytes).resize(w, h, { kernel: "linear" }).raw().toBuffer();
  const jimp = await timeIt(reps, async () => (await Jimp.fromBuffer(bytes)).resize({ w, h }));
  const sharpTimes = await timeIt(reps, () => sharp(bytes).resize(w, h, { kernel: "linear" }).raw().toBuffer());
  const ours = await timeIt(reps, async () => detector.preprocess(await detector.decode(bytes)));
  const jimpDecodeResizeMs = round(percentile(jimp, 50));
  const sharpDecodeResizeMs = round(percentile(sharpTimes, 50));
  const edgeDecodeLetterboxMs = round(percentile(ours, 50));
  console.log(`\ndecode + resize ${image.name} to ${w}×${h} (p50 of ${reps}):`);
  console.log(`  stock jimp (jpeg-js) decode + jimp resize      ${jimpDecodeResizeMs.toFixed(2).padStart(6)} ms`);
  console.log(
    `  sharp (libvips) decode + resize                ${sharpDecodeResizeMs.toFixed(2).padStart(6)} ms   (dev-only comparison)`,
  );
  console.log(
    `  edge: jimp + libjpeg-turbo (wasm) + letterbox  ${edgeDecodeLetterboxMs.toFixed(2).padStart(6)} ms   (what the edge runs, incl. normalising)`,
  );
  return { jimpDecodeResizeMs, sharpDecodeResizeMs, edgeDecodeLetterboxMs };
}

async function main(): Promise<void> {
  const frames = option("--frames", 60);
  const threads = option("--threads", 0);
  const { modelPath, scoreThreshold } = chooseModel();
  const images = await loadImages();
  const detector = await Detector.load(modelPath, {
    threads,
    maxDetections: 100,
    scoreThreshold,
    bare: { padValue: 114 },
  });
  const { spec } = detector;
  console.log(
    `model: ${modelPath} — ${spec.layout}, input ${spec.input.width}×${spec.input.height}, onnxruntime threads ${threads || "auto"}, score >= ${detector.decodeOptions.scoreThreshold}`,
  );
  const stages = await timeStages(detector, images, frames);
  const decoders = await compareDecoders(detector, images[0]);
  await detector.close();
  console.log(JSON.stringify({ model: modelPath, ...stages, ...decoders }));
}

const sizeOf = (image: { width: number; height: number }): [number, number] => [image.width, image.height];

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
