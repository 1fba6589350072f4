import { expect } from "chai";
import { Jimp } from "jimp";
import { existsSync, readFileSync, statSync } from "node:fs";
import * as path from "node:path";
import * as ort from "onnxruntime-node";
import { splitMethodSchema } from "../../contracts/dataset";
import { letterboxGeometry, ModelManifest, modelManifestSchema } from "../../contracts/modelManifest";
import { PROJECT_DIR } from "../harness/pulumiProgram";
import { NO_SCRATCHES_DATA } from "../harness/images";
import { SCRATCHES_DIR } from "../harness/scratches";
import { SCRATCHES_IMAGES, scratchesConversion } from "../harness/trainingData";
import { skipBecause } from "../harness/skip";

const DEMO_DIR = path.join(PROJECT_DIR, "models", "demo");
type Box = [number, number, number, number];

/** The model input for an image file, prepared as the edge does: letterboxed, RGB, NCHW, 0–1. */
async function letterboxed(file: string, manifest: ModelManifest) {
  const image = await Jimp.read(file);
  const { width, height, padValue } = manifest.input;
  const g = letterboxGeometry(image.bitmap.width, image.bitmap.height, width, height);
  image.resize({ w: g.width, h: g.height });
  const data = new Float32Array(3 * width * height).fill(padValue / 255);
  for (let y = 0; y < g.height; y += 1) {
    for (let x = 0; x < g.width; x += 1) {
      const from = (y * g.width + x) * 4;
      const to = (y + g.padY) * width + x + g.padX;
      for (let c = 0; c < 3; c += 1) data[c * width * height + to] = image.bitmap.data[from + c] / 255;
    }
  }
  return { tensor: new ort.Tensor("float32", data, [1, 3, height, width]), geometry: g };
}

function iou(a: Box, b: Box): number {
  const w = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const h = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  if (w <= 0 || h <= 0) return 0;
  return (w * h) / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - w * h);
}

describe("training: the demo model in models/demo", () => {
  const manifest = modelManifestSchema.parse(JSON.parse(readFileSync(path.join(DEMO_DIR, "model.json"), "utf8")));
  /** The real data split as model.json says the model was measured on it. */
  const measuredOn = () => {
    const split = manifest.training!.split!;
    const method = splitMethodSchema.parse({ method: split.method, seed: split.seed });
    return scratchesConversion({ fractions: split.fractions, split: method });
  };

  it("has a valid model.json with validation and test metrics and its provenance", () => {
    expect(manifest.layout).to.equal("torchvision");
    expect(manifest.labelOffset).to.equal(1);
    expect(manifest.classes).to.deep.equal(["scratch"]);
    expect(manifest.metrics.test, "test metrics").to.not.equal(undefined);
    expect(manifest.training?.dataHash).to.match(/^[0-9a-f]{64}$/);
  });

  it("is an ONNX file under 10 MB with the inputs and outputs model.json names", async () => {
    const file = path.join(DEMO_DIR, manifest.file);
    expect(statSync(file).size).to.be.below(10 * 1024 * 1024);
    const session = await ort.InferenceSession.create(file);
    expect(session.inputNames).to.deep.equal([manifest.input.name]);
    expect(session.outputNames).to.deep.equal(["boxes", "scores", "labels"]);
    await session.release();
  });

  it("was trained on the dataset the converter builds from the real labels", function () {
    if (!existsSync(SCRATCHES_DIR)) skipBecause(this, NO_SCRATCHES_DATA);
    expect(manifest.training?.dataHash).to.equal(scratchesConversion().summary.labelsHash);
  });

  it("was measured on a held-out test split of at least 20 %, stratified, whose definition model.json keeps", function () {
    if (!existsSync(SCRATCHES_DIR)) skipBecause(this, NO_SCRATCHES_DATA);
    const split = manifest.training?.split;
    expect(split).to.deep.include({ method: "stratified" });
    const { summary, images } = measuredOn();
    expect(split?.images).to.deep.equal(summary.counts);
    const withBoxes = (name: string) => images.filter((i) => i.split === name && i.record.annotations.length > 0);
    expect(split?.imagesWithBoxes).to.deep.equal({
      train: withBoxes("train").length,
      validation: withBoxes("validation").length,
      test: withBoxes("test").length,
    });
    expect(summary.counts.test / images.length).to.be.at.least(0.2);
    expect(manifest.metrics.test?.images).to.equal(summary.counts.test);
  });

  it("reports each mAP with its 95 % bootstrap interval", () => {
    for (const split of ["validation", "test"] as const) {
      const metrics = manifest.metrics[split]!;
      expect(metrics.interval, split).to.deep.include({ level: 0.95 });
      const [low, high] = metrics.interval!.map50_95;
      expect(metrics.map50_95, split).to.be.within(low, high);
      expect(high - low, `${split}: an interval, not a point`).to.be.greaterThan(0);
    }
  });

  it("finds the test split's scratches as well as model.json says, with edge-style preprocessing in JavaScript", async function () {
    this.timeout(120_000);
    if (!existsSync(SCRATCHES_DIR)) skipBecause(this, NO_SCRATCHES_DATA);
    const testImages = measuredOn().images.filter((i) => i.split === "test");
    expect(testImages).to.have.length(manifest.metrics.test!.images);
    const session = await ort.InferenceSession.create(path.join(DEMO_DIR, manifest.file));
    let truePositives = 0;
    let detections = 0;
    let truths = 0;
    try {
      for (const { imageFile, record } of testImages) {
        const { tensor, geometry: g } = await letterboxed(path.join(SCRATCHES_IMAGES, imageFile), manifest);
        const out = await session.run({ [manifest.input.name]: tensor });
        const scores = out.scores.data as Float32Array;
        const boxes = out.boxes.data as Float32Array;
        const found: Box[] = [];
        for (let i = 0; i < scores.length; i += 1) {
          if (scores[i] < manifest.scoreThreshold) continue;
          const [x1, y1, x2, y2] = Array.from(boxes.slice(i * 4, i * 4 + 4));
          found.push([
            (x1 - g.padX) / g.scale,
            (y1 - g.padY) / g.scale,
            (x2 - g.padX) / g.scale,
            (y2 - g.padY) / g.scale,
          ]);
        }
        const free = record.annotations.map((a): Box => [a.left, a.top, a.left + a.width, a.top + a.height]);
        for (const box of found) {
          const best = free.reduce(
            (b, t, j) => (iou(box, t) >= 0.5 && (b < 0 || iou(box, t) > iou(box, free[b])) ? j : b),
            -1,
          );
          if (best >= 0) {
            truePositives += 1;
            free.splice(best, 1);
          }
        }
        detections += found.length;
        truths += record.annotations.length;
      }
    } finally {
      await session.release();
    }
    const precision = truePositives / detections;
    const recall = truePositives / truths;
    console.log(
      `      test split, JavaScript letterbox: precision ${precision.toFixed(3)}, recall ${recall.toFixed(3)}`,
    );
    // Decoders and resize filters differ a little between Pillow and jimp; the model must not care much.
    expect(precision).to.be.closeTo(manifest.metrics.test!.precision, 0.1);
    expect(recall).to.be.closeTo(manifest.metrics.test!.recall, 0.1);
  });
});
