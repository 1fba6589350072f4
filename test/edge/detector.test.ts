import { readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { inferenceResultProblems } from "../../contracts/inferenceMessages";
import { Detector, DetectorOptions } from "../../edge/src/detector";
import { ImageDecodeError } from "../../edge/src/image";
import { resultMessage } from "../../edge/src/messages";
import { ModelError } from "../../edge/src/model";
import { gradientJpeg, NO_SCRATCHES_DATA, realSampleImages } from "../harness/images";
import { manifestFor, modelFolder, tempDir } from "../harness/modelFolders";
import { torchvisionModel, yolov8Model } from "../harness/onnxModels";
import { skipBecause } from "../harness/skip";

const options: DetectorOptions = { threads: 1, maxDetections: 100, bare: { padValue: 114 } };
// A 450×300 image in a 640×640 input: scaled by 640/450 to 640×427, 106 px of padding above.
const sx = 640 / 450;
const sy = 427 / 300;
const toInput = (x1: number, y1: number, x2: number, y2: number): [number, number, number, number] => [
  x1 * sx,
  106 + y1 * sy,
  x2 * sx,
  106 + y2 * sy,
];

describe("edge detector on real onnxruntime sessions", () => {
  const dir = tempDir("detector");
  let jpeg: Buffer;
  const detectors: Detector[] = [];
  const load = async (model: string, extra: Partial<DetectorOptions> = {}) => {
    const detector = await Detector.load(model, { ...options, ...extra });
    detectors.push(detector);
    return detector;
  };

  before(async () => {
    jpeg = await gradientJpeg(450, 300, { x: 45, y: 10, w: 180, h: 90 });
  });
  after(async () => {
    await Promise.all(detectors.map((d) => d.close()));
  });

  describe("torchvision layout, folder with model.json", () => {
    let model: string;
    before(() => {
      const onnx = torchvisionModel(
        { width: 640, height: 640 },
        {
          boxes: [toInput(45, 10, 225, 100), toInput(300, 200, 400, 290), toInput(0, 0, 450, 300), [0, 0, 50, 50]],
          scores: [0.92, 0.4, 0.97, 0.8],
          labels: [1, 1, 0, 1],
        },
      );
      const manifest = manifestFor({
        layout: "torchvision",
        input: { name: "images", width: 640, height: 640, padValue: 114 },
      });
      model = modelFolder(dir, "torchvision", onnx, manifest);
    });

    it("reads name, version, classes and thresholds from model.json", async () => {
      const detector = await load(model);
      expect(detector.spec).to.include({
        name: "scratch-detector",
        version: "fixture-1",
        layout: "torchvision",
        labelOffset: 1,
      });
      expect(detector.decodeOptions.scoreThreshold).to.equal(0.5);
    });

    it("maps boxes to pixels of the 450×300 image, drops the background and low scores", async () => {
      const detector = await load(model);
      const inspection = await detector.inspect(jpeg);
      expect(inspection).to.include({ width: 450, height: 300 });
      // [0, 0, 50, 50] lies in the letterbox's top border: no area left in the image.
      expect(inspection.detections).to.have.length(1);
      const [found] = inspection.detections;
      expect(found.classId).to.equal(0);
      expect(found.score).to.be.closeTo(0.92, 1e-6);
      found.box.forEach((v, i) => expect(v).to.be.closeTo([45, 10, 225, 100][i], 1e-3));
      for (const stage of ["decode", "preprocess", "run", "postprocess"] as const) {
        expect(inspection.timings[stage]).to.be.a("number").and.at.least(0);
      }
    });

    it("lets configured thresholds override model.json's", async () => {
      const detector = await load(model, { scoreThreshold: 0.3 });
      expect((await detector.inspect(jpeg)).detections.map((d) => d.score.toFixed(2))).to.deep.equal(["0.92", "0.40"]);
    });

    it("produces a result message that matches the schema", async () => {
      const detector = await load(model);
      const message = resultMessage("part.jpg", await detector.inspect(jpeg), detector.spec, { thingName: "line-1" });
      expect(inferenceResultProblems(message)).to.deep.equal([]);
      expect(message.inference_results[0][0]).to.deep.equal([0]);
      expect(message.modelVersion).to.equal("fixture-1");
    });
  });

  describe("yolov8 layout, bare .onnx without model.json", () => {
    let onnxPath: string;
    before(() => {
      const box = (x1: number, y1: number, x2: number, y2: number, scores: number[]) => {
        const [a, b, c, d] = toInput(x1, y1, x2, y2);
        return { cx: (a + c) / 2, cy: (b + d) / 2, w: c - a, h: d - b, scores };
      };
      const onnx = yolov8Model({ width: 640, height: 640 }, [
        box(100, 100, 200, 150, [0.9, 0.1]),
        box(102, 101, 201, 152, [0.8, 0.1]), // same scratch, lower score: suppressed
        box(100, 100, 200, 150, [0.1, 0.7]), // same place, class 1: kept
        box(300, 50, 420, 80, [0.3, 0.2]), // below 0.5
      ]);
      onnxPath = path.join(modelFolder(dir, "yolo", onnx), "model.onnx");
    });

    it("detects the layout and class count from the session's outputs", async () => {
      const detector = await load(onnxPath);
      expect(detector.spec).to.include({ layout: "yolov8", name: "model", version: "unversioned" });
      expect(detector.spec.classes).to.deep.equal(["class0", "class1"]);
      expect(detector.spec.input).to.deep.equal({ name: "images", width: 640, height: 640, padValue: 114 });
    });

    it("applies the threshold and per-class NMS, and maps boxes back", async () => {
      const detector = await load(onnxPath);
      const { detections } = await detector.inspect(jpeg);
      expect(detections.map((d) => d.classId)).to.deep.equal([0, 1]);
      detections[0].box.forEach((v, i) => expect(v).to.be.closeTo([100, 100, 200, 150][i], 1e-3));
    });

    it("uses configured class names and refuses ones that do not fit the output", async () => {
      const named = await load(onnxPath, { bare: { padValue: 114, classes: ["scratch", "dent"] } });
      expect(named.spec.classes).to.deep.equal(["scratch", "dent"]);
      try {
        await load(onnxPath, { bare: { padValue: 114, classes: ["scratch"] } });
        expect.fail("expected a ModelError");
      } catch (error) {
        expect(error).to.be.instanceOf(ModelError);
        expect((error as Error).message).to.match(/classes names 1 classes, but the model's output has 2/);
      }
    });

    it("refuses a layout setting that contradicts the outputs", async () => {
      await expectModelError(load(onnxPath, { bare: { padValue: 114, layout: "torchvision" } }), /outputs are yolov8/);
    });
  });

  describe("dynamic input size", () => {
    let onnxPath: string;
    before(() => {
      const onnx = torchvisionModel(
        { width: 0, height: 0, dynamic: true },
        { boxes: [[16, 58, 96, 100]], scores: [0.9], labels: [1] },
      );
      onnxPath = path.join(modelFolder(dir, "dynamic", onnx), "model.onnx");
    });

    it("asks for inputSize when neither the model nor model.json fixes it", async () => {
      await expectModelError(load(onnxPath), /no fixed size .* set inputSize/);
    });

    it("feeds the configured size (450×300 → 320×213 inside 320×320)", async () => {
      const detector = await load(onnxPath, { bare: { padValue: 114, inputWidth: 320, inputHeight: 320 } });
      const { detections } = await detector.inspect(jpeg);
      // x / (320/450), (y - 53) / (213/300)
      const expected = [16 * (450 / 320), (58 - 53) * (300 / 213), 96 * (450 / 320), (100 - 53) * (300 / 213)];
      detections[0].box.forEach((v, i) => expect(v).to.be.closeTo(expected[i], 1e-3));
    });
  });

  describe("broken models", () => {
    it("says when the model does not exist", async () => {
      await expectModelError(load(path.join(dir, "nowhere")), /nowhere does not exist/);
    });

    it("says when the .onnx file is corrupt", async () => {
      const corrupt = modelFolder(dir, "corrupt", Buffer.from("this is not a protobuf"));
      await expectModelError(load(corrupt), /not a model onnxruntime can load/);
    });

    it("names the model.json field that breaks the contract", async () => {
      const onnx = yolov8Model({ width: 64, height: 64 }, [{ cx: 1, cy: 1, w: 1, h: 1, scores: [1] }]);
      const bad = modelFolder(dir, "bad-manifest", onnx, {
        ...manifestFor({ layout: "yolov8", input: { name: "images", width: 64, height: 64, padValue: 114 } }),
        scoreThreshold: 2,
      });
      await expectModelError(load(bad), /model.json does not match the model manifest contract: scoreThreshold/);
    });

    it("refuses a model.json that disagrees with the model", async () => {
      const onnx = yolov8Model({ width: 64, height: 64 }, [{ cx: 1, cy: 1, w: 1, h: 1, scores: [1] }]);
      const wrongLayout = modelFolder(
        dir,
        "wrong-layout",
        onnx,
        manifestFor({ layout: "torchvision", input: { name: "images", width: 64, height: 64, padValue: 114 } }),
      );
      await expectModelError(load(wrongLayout), /says layout torchvision, but the outputs are yolov8/);
      const wrongSize = modelFolder(
        dir,
        "wrong-size",
        onnx,
        manifestFor({ layout: "yolov8", input: { name: "images", width: 320, height: 320, padValue: 114 } }),
      );
      await expectModelError(load(wrongSize), /says input 320x320, the model's is 64x64/);
    });
  });

  describe("images", () => {
    it("rejects bytes that are not an image", async () => {
      const detector = await load(path.join(dir, "torchvision"));
      for (const bytes of [Buffer.from("definitely not a jpeg"), Buffer.alloc(0)]) {
        try {
          await detector.inspect(bytes);
          expect.fail("expected an ImageDecodeError");
        } catch (error) {
          expect(error).to.be.instanceOf(ImageDecodeError);
        }
      }
    });

    it("inspects the real camera images", async function () {
      const images = realSampleImages();
      if (images.length === 0) skipBecause(this, `${NO_SCRATCHES_DATA}`);
      const detector = await load(path.join(dir, "torchvision"));
      for (const image of images) {
        const inspection = await detector.inspect(readFileSync(image));
        expect(inspection, path.basename(image)).to.include({ width: 450, height: 300 });
        const message = resultMessage(path.basename(image), inspection, detector.spec, { thingName: "line-1" });
        expect(inferenceResultProblems(message), path.basename(image)).to.deep.equal([]);
      }
    });
  });

  after(() => rmSync(dir, { recursive: true, force: true }));
});

async function expectModelError(promise: Promise<unknown>, message: RegExp): Promise<void> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(ModelError);
    expect((error as Error).message).to.match(message);
    return;
  }
  expect.fail(`expected a ModelError matching ${message}`);
}
