import { expect } from "chai";
import { Box, iou, meanAveragePrecision, ScoredBox, TrueBox } from "../../lib/detectionMetrics";

// The known answers of training/tests/test_detection_metrics.py: the TypeScript and Python mAP agree case by case.

const HALF = 51 / 101;
const box = (x: number, y: number, w = 10, h = 10): Box => [x, y, x + w, y + h];
const truth = (b: Box, classId = 0): TrueBox => ({ box: b, classId });
const det = (b: Box, score: number, classId = 0): ScoredBox => ({ box: b, score, classId });
const map = (images: [ScoredBox[], TrueBox[]][]) =>
  meanAveragePrecision(images.map(([detections, truths]) => ({ detections, truths })));

describe("mAP (lib/detectionMetrics.ts, the rules of training/detection_metrics.py)", () => {
  it("IoU of identical, disjoint, touching and half-overlapping boxes", () => {
    expect(iou(box(0, 0), box(0, 0))).to.equal(1);
    expect(iou(box(0, 0), box(20, 20))).to.equal(0);
    expect(iou(box(0, 0), box(10, 0))).to.equal(0);
    expect(iou(box(0, 0), box(5, 0))).to.be.closeTo(50 / 150, 1e-12);
  });

  it("perfect detections score 1, all misses 0, no detections 0", () => {
    const truths = [[truth(box(0, 0)), truth(box(30, 30))], [truth(box(5, 5))]];
    expect(map(truths.map((t) => [t.map((x) => det(x.box, 0.9)), t]))).to.deep.equal({ map50_95: 1, map50: 1 });
    expect(
      map([
        [[det(box(100, 100), 0.9)], [truth(box(0, 0))]],
        [[det(box(0, 0), 0.8)], [truth(box(50, 50))]],
      ]),
    ).to.deep.equal({ map50_95: 0, map50: 0 });
    expect(map([[[], [truth(box(0, 0))]]]).map50_95).to.equal(0);
  });

  it("half the boxes found: 51 of the 101 recall points", () => {
    const result = map([
      [[det(box(0, 0), 0.9)], [truth(box(0, 0)), truth(box(20, 0))]],
      [[det(box(0, 20), 0.8)], [truth(box(0, 20)), truth(box(20, 20))]],
    ]);
    expect(result.map50).to.be.closeTo(HALF, 1e-12);
    expect(result.map50_95).to.be.closeTo(HALF, 1e-12);
  });

  it("IoU exactly 0.5 hits one threshold of ten, 0.75 six, just below 0.5 none", () => {
    expect(map([[[det([0, 0, 10, 5], 0.9)], [truth([0, 0, 10, 10])]]]).map50_95).to.be.closeTo(0.1, 1e-12);
    expect(map([[[det([0, 0, 10, 7.5], 0.9)], [truth([0, 0, 10, 10])]]]).map50_95).to.be.closeTo(0.6, 1e-12);
    expect(map([[[det([0, 0, 10, 4.99], 0.9)], [truth([0, 0, 10, 10])]]]).map50).to.equal(0);
  });

  it("a false positive ranked first halves AP; a duplicate is a false positive; classes do not match", () => {
    expect(map([[[det(box(50, 50), 0.9), det(box(0, 0), 0.8)], [truth(box(0, 0))]]]).map50).to.be.closeTo(0.5, 1e-12);
    expect(map([[[det(box(0, 0), 0.9), det(box(0, 0), 0.8)], [truth(box(0, 0))]]]).map50).to.equal(1);
    expect(map([[[det(box(0, 0), 0.9, 1)], [truth(box(0, 0), 0)]]]).map50).to.equal(0);
  });

  it("averages over the classes that have true boxes", () => {
    const truths = [truth(box(0, 0), 0), truth(box(20, 20), 1), truth(box(40, 40), 1)];
    const result = map([[[det(box(0, 0), 0.9, 0), det(box(20, 20), 0.9, 1)], truths]]);
    expect(result.map50).to.be.closeTo((1 + HALF) / 2, 1e-12);
  });

  it("detections on a clean image are false positives", () => {
    const result = map([
      [[det(box(0, 0), 0.5)], [truth(box(0, 0))]],
      [[det(box(0, 0), 0.9)], []],
    ]);
    expect(result.map50).to.be.closeTo(0.5, 1e-12);
  });
});
