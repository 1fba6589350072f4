import { expect } from "chai";
import { letterboxGeometry } from "../../contracts/modelManifest";
import {
  decodeTorchvision,
  decodeYolov8,
  Detection,
  iou,
  nonMaxSuppression,
  toImagePixels,
} from "../../edge/src/postprocess";

const options = { scoreThreshold: 0.25, iouThreshold: 0.5, maxDetections: 100 };

/** A `[1, 4 + classes, anchors]` tensor from per-anchor rows. */
function yoloOutput(anchors: number[][]): { data: Float32Array; dims: number[] } {
  const rows = anchors[0].length;
  const data = new Float32Array(rows * anchors.length);
  anchors.forEach((a, i) => a.forEach((v, r) => (data[r * anchors.length + i] = v)));
  return { data, dims: [1, rows, anchors.length] };
}

describe("edge box decoding", () => {
  describe("YOLOv8 raw output", () => {
    it("turns centre/size into corners and keeps each anchor's best class above the threshold", () => {
      const { data, dims } = yoloOutput([
        [100, 50, 20, 10, 0.1, 0.8],
        [300, 300, 40, 40, 0.2, 0.1], // below the threshold
      ]);
      expect(decodeYolov8(data, dims, options)).to.deep.equal([
        { classId: 1, score: data[5 * 2], box: [90, 45, 110, 55] },
      ]);
    });

    it("suppresses overlapping boxes of the same class only, highest score first", () => {
      const { data, dims } = yoloOutput([
        [100, 100, 50, 50, 0.7, 0],
        [102, 101, 50, 50, 0.9, 0], // overlaps the first, higher score: wins
        [101, 100, 50, 50, 0, 0.6], // same place, other class: kept
        [400, 400, 50, 50, 0.5, 0], // elsewhere: kept
      ]);
      const found = decodeYolov8(data, dims, options);
      expect(found.map((d) => [d.classId, Number(d.score.toFixed(2))])).to.deep.equal([
        [0, 0.9],
        [1, 0.6],
        [0, 0.5],
      ]);
    });

    it("keeps the top k", () => {
      const anchors = Array.from({ length: 50 }, (_, i) => [20 * i + 10, 10, 8, 8, 0.3 + i / 100]);
      const { data, dims } = yoloOutput(anchors);
      const found = decodeYolov8(data, dims, { ...options, maxDetections: 5 });
      expect(found).to.have.length(5);
      expect(found[0].score).to.be.closeTo(0.79, 1e-6);
      expect(found[4].score).to.be.closeTo(0.75, 1e-6);
    });

    it("rejects an output that is not [1, 4 + classes, anchors]", () => {
      expect(() => decodeYolov8(new Float32Array(8), [2, 4], options)).to.throw(/\[1, 4 \+ classes, anchors\]/);
    });
  });

  describe("torchvision output", () => {
    const boxes = Float32Array.from([10, 20, 30, 40, 50, 60, 70, 80, 1, 2, 3, 4, 5, 6, 7, 8]);
    const scores = Float32Array.from([0.6, 0.95, 0.9, 0.1]);
    const labels = BigInt64Array.from([1n, 2n, 0n, 1n]);

    it("drops the background, shifts labels to class ids and sorts by score", () => {
      expect(decodeTorchvision(boxes, scores, labels, 1, options)).to.deep.equal([
        { classId: 1, score: scores[1], box: [50, 60, 70, 80] },
        { classId: 0, score: scores[0], box: [10, 20, 30, 40] },
      ]);
    });

    it("keeps label 0 when the model has no background class", () => {
      const found = decodeTorchvision(boxes, scores, labels, 0, options);
      expect(found.map((d) => d.classId)).to.deep.equal([2, 0, 1]);
    });

    it("rejects outputs of different lengths", () => {
      expect(() => decodeTorchvision(boxes, scores.subarray(0, 3), labels, 1, options)).to.throw(/disagree/);
    });
  });

  it("computes intersection over union", () => {
    expect(iou([0, 0, 10, 10], [0, 0, 10, 10])).to.equal(1);
    expect(iou([0, 0, 10, 10], [5, 0, 15, 10])).to.be.closeTo(50 / 150, 1e-9);
    expect(iou([0, 0, 10, 10], [20, 20, 30, 30])).to.equal(0);
  });

  it("NMS keeps a lower-scored box that overlaps only a little", () => {
    const d = (score: number, x: number): Detection => ({ classId: 0, score, box: [x, 0, x + 10, 10] });
    expect(nonMaxSuppression([d(0.5, 0), d(0.9, 8)], options).map((k) => k.score)).to.deep.equal([0.9, 0.5]);
    expect(nonMaxSuppression([d(0.5, 0), d(0.9, 1)], options).map((k) => k.score)).to.deep.equal([0.9]);
  });

  describe("mapping back to the image", () => {
    it("undoes the letterbox of a 450×300 image in a 640×640 input", () => {
      const geometry = letterboxGeometry(450, 300, 640, 640); // 640×427 at y 106
      const sy = 427 / 300;
      const [mapped] = toImagePixels(
        [{ classId: 0, score: 1, box: [64, 106 + 10 * sy, 640, 106 + 300 * sy] }],
        geometry,
        450,
        300,
      );
      expect(mapped.box[0]).to.be.closeTo(45, 1e-9);
      expect(mapped.box[1]).to.be.closeTo(10, 1e-9);
      expect(mapped.box[2]).to.be.closeTo(450, 1e-9);
      expect(mapped.box[3]).to.be.closeTo(300, 1e-9);
    });

    it("undoes a portrait letterbox (300×450 into 640×640, padded left and right)", () => {
      const geometry = letterboxGeometry(300, 450, 640, 640); // 427×640 at x 106
      const [mapped] = toImagePixels([{ classId: 0, score: 1, box: [106, 0, 106 + 427, 320] }], geometry, 300, 450);
      expect(mapped.box).to.deep.equal([0, 0, 300, 225]);
    });

    it("clips boxes to the image and drops boxes that lie in the border", () => {
      const geometry = letterboxGeometry(450, 300, 640, 640);
      const mapped = toImagePixels(
        [
          { classId: 0, score: 0.9, box: [-20, 90, 100, 200] },
          { classId: 0, score: 0.8, box: [10, 0, 100, 100] }, // entirely in the top border
        ],
        geometry,
        450,
        300,
      );
      expect(mapped).to.have.length(1);
      expect(mapped[0].box[0]).to.equal(0);
      expect(mapped[0].box[1]).to.equal(0);
    });
  });
});
