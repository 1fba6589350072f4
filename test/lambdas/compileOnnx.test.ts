import { expect } from "chai";
import { copyFile, writeFile } from "node:fs/promises";
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import * as ort from "onnxruntime-node";
import { Jimp } from "jimp";
import { compareOutputs } from "../../lambdas/compileOnnx/compare";
import { decodeImage } from "../../lambdas/compileOnnx/decode";
import { compileOnnx, CompileOnnxEvent } from "../../lambdas/compileOnnx/handler";
import { Letterboxer } from "../../lib/letterbox";
import { MemoryObjectStore, recordingLog } from "../fakes/memoryPorts";
import { manifestFor } from "../harness/models";
import { convModel } from "../harness/onnxModels";
import { haveScratches, SCRATCHES_DIR } from "../harness/scratches";
import { failureOf } from "../harness/failure";

const WIDTH = 64;
const HEIGHT = 48;
const version = "qi-dev-train-run-1-3fa2b1c9";
const event: CompileOnnxEvent = {
  modelKey: `models/${version}/model/model.onnx`,
  manifestKey: `models/${version}/model/model.json`,
  modelVersion: version,
  datasetId: "run-1",
  goldenImages: 3,
};

/** Real JPEGs of the sample data when present; otherwise JPEGs drawn here. */
async function goldenJpegs(count: number): Promise<Buffer[]> {
  if (haveScratches()) {
    const folder = path.join(SCRATCHES_DIR, "images", "bad");
    return readdirSync(folder)
      .sort()
      .slice(0, count)
      .map((file) => readFileSync(path.join(folder, file)));
  }
  return Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const image = new Jimp({ width: 450, height: 300, color: 0x808080ff + i * 0x10100000 });
      for (let x = 100; x < 300; x++) image.setPixelColor(0xf0f0f0ff, x, 120 + i * 10);
      return image.getBuffer("image/jpeg");
    }),
  );
}

async function lake(): Promise<MemoryObjectStore> {
  const objects = new MemoryObjectStore()
    .put(event.modelKey, convModel({ width: WIDTH, height: HEIGHT }))
    .put(
      event.manifestKey,
      JSON.stringify(manifestFor({ input: { name: "images", width: WIDTH, height: HEIGHT, padValue: 114 } })),
    );
  const jpegs = await goldenJpegs(4);
  const lines = jpegs.map((jpeg, i) => {
    objects.put(`images/golden/${i}.jpg`, jpeg);
    return JSON.stringify({
      image: `images/golden/${i}.jpg`,
      image_id: String(i).padStart(32, "0"),
      width: 450,
      height: 300,
      annotations: [],
    });
  });
  return objects.put("datasets/run-1/validation/annotations.jsonl", `${lines.join("\n")}\n`);
}

describe("CompileOnnx", () => {
  it("writes an onnxruntime-optimised model that matches the original on the golden images", async () => {
    const objects = await lake();
    const result = await compileOnnx(event, { objects, log: recordingLog(), ort, decodeImage });
    expect(result).to.deep.include({
      modelKey: `compiled/${version}/model.onnx`,
      manifestKey: `compiled/${version}/model.json`,
      extraArtifactUris: [],
      goldenImages: 3,
    });
    expect(result.maxAbsDiff).to.be.below(1e-3);
    const optimised = objects.objects.get(`compiled/${version}/model.onnx`)!.body;
    expect(optimised.equals(objects.objects.get(event.modelKey)!.body), "the graph was rewritten").to.equal(false);
    expect(objects.text(`compiled/${version}/model.json`)).to.equal(objects.text(event.manifestKey));
    // The optimised file loads on its own and keeps the model's interface.
    const session = await ort.InferenceSession.create(optimised);
    expect([...session.inputNames]).to.deep.equal(["images"]);
    expect([...session.outputNames].sort()).to.deep.equal(["features", "map"]);
    await session.release();
  });

  it("fails the run when the optimised model computes something else", async () => {
    const objects = await lake();
    // An "optimiser" that returns a model with other weights stands in for a broken optimisation.
    const wrong = async (_input: string, output: string) =>
      writeFile(output, convModel({ width: WIDTH, height: HEIGHT, seed: 7 }));
    const error = await failureOf(
      compileOnnx(event, { objects, log: recordingLog(), ort, decodeImage, optimise: wrong }),
    );
    expect(error.name).to.equal("OptimisedModelMismatchError");
    expect(error.message).to.match(
      /differs from the original on golden image images\/golden\/0.jpg: output (features|map)/,
    );
    expect(objects.objects.has(`compiled/${version}/model.onnx`), "nothing is published").to.equal(false);
  });

  it("accepts an optimiser that changes nothing", async () => {
    const objects = await lake();
    const identity = (input: string, output: string) => copyFile(input, output);
    const result = await compileOnnx(event, { objects, log: recordingLog(), ort, decodeImage, optimise: identity });
    expect(result.maxAbsDiff).to.equal(0);
  });

  it("fails with ModelArtifactError when model.json breaks the contract", async () => {
    const objects = (await lake()).put(event.manifestKey, "{}");
    const error = await failureOf(compileOnnx(event, { objects, log: recordingLog(), ort, decodeImage }));
    expect(error.name).to.equal("ModelArtifactError");
  });

  describe("output comparison", () => {
    const tolerance = { absolute: 1e-3, relative: 1e-3 };
    const out = (dims: number[], data: number[]) => ({ dims, data });

    it("accepts differences within the tolerance", () => {
      const result = compareOutputs({ a: out([2], [1, 1000]) }, { a: out([2], [1.0009, 1000.9]) }, tolerance);
      expect(result.equal).to.equal(true);
      expect(result.maxAbsDiff).to.be.closeTo(0.9, 1e-9);
    });

    it("names outputs with other values, other shapes (detection counts) or that are missing", () => {
      const result = compareOutputs(
        { boxes: out([1, 4], [0, 0, 10, 10]), scores: out([1], [0.9]), labels: out([1], [1]) },
        { boxes: out([2, 4], [0, 0, 10, 10, 1, 1, 2, 2]), scores: out([1], [0.5]) },
        tolerance,
      );
      expect(result.equal).to.equal(false);
      expect(result.problems).to.deep.equal([
        "output boxes has shape [2, 4] instead of [1, 4]",
        "output scores: 1 of 1 values differ (max 0.4)",
        "output labels is missing",
      ]);
    });

    it("treats NaN as a difference", () => {
      expect(compareOutputs({ a: out([1], [1]) }, { a: out([1], [NaN]) }, tolerance).equal).to.equal(false);
    });
  });

  describe("letterbox preprocessing (the edge's, which the golden-image check uses)", () => {
    it("scales, centres and pads as model.json prescribes", () => {
      // A 4×2 white image into 4×4: scaled ×1, centred vertically with one padded row above and below.
      const white = { width: 4, height: 2, data: new Uint8Array(4 * 2 * 4).fill(255) };
      const tensor = new Letterboxer({ width: 4, height: 4, padValue: 0 }).apply(white).tensor;
      const red = Array.from(tensor.subarray(0, 16));
      expect(red).to.deep.equal([0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0]);
    });

    it("keeps the colour planes in RGB order", () => {
      const pixel = { width: 1, height: 1, data: new Uint8Array([255, 0, 51, 255]) };
      const tensor = new Letterboxer({ width: 1, height: 1, padValue: 0 }).apply(pixel).tensor;
      expect(Array.from(tensor)).to.deep.equal([1, 0, Math.fround(0.2)]);
    });
  });
});
