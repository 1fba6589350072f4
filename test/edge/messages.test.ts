import { expect } from "chai";
import {
  errorTopicOf,
  inferenceErrorProblems,
  inferenceResultProblems,
  InferenceResult,
} from "../../contracts/inferenceMessages";
import inferenceErrorSchema from "../../contracts/inferenceError.schema.json";
import inferenceResultSchema from "../../contracts/inferenceResult.schema.json";
import { Inspection } from "../../edge/src/detector";
import { errorMessage, resultMessage, summaryLine } from "../../edge/src/messages";

const inspection: Inspection = {
  width: 450,
  height: 300,
  detections: [
    { classId: 0, score: 0.912345, box: [81.2345, 123.4, 163.777, 220.05] },
    { classId: 0, score: 0.55, box: [10, 10, 20, 30] },
  ],
  timings: { decode: 12.345, preprocess: 3.21, run: 40.0001, postprocess: 0.4 },
};
const model = { name: "scratch-detector", version: "train-2026-11-29", classes: ["scratch"] };
const context = {
  thingName: "line-1",
  now: new Date("2026-11-29T18:53:00.123Z"),
  messageId: "9b2f4c1e-7d3a-4e5b-8c6d-0a1b2c3d4e5f",
};

describe("edge messages", () => {
  const result = resultMessage("part-001.jpg", inspection, model, context);

  it("keeps the seed's fields: timestamp, image_name and inference_results as [[classes, scores, boxes]]", () => {
    expect(result.timestamp).to.equal("2026-11-29T18:53:00.123Z");
    expect(result.image_name).to.equal("part-001.jpg");
    expect(result.inference_results).to.deep.equal([
      [
        [0, 0],
        [0.9123, 0.55],
        [
          [81.23, 123.4, 163.78, 220.05],
          [10, 10, 20, 30],
        ],
      ],
    ]);
  });

  it("adds what consumers need, and validates against the schema", () => {
    expect(result).to.include({
      schemaVersion: 1,
      messageId: context.messageId,
      imageWidth: 450,
      imageHeight: 300,
      modelName: "scratch-detector",
      modelVersion: "train-2026-11-29",
      thingName: "line-1",
      inferenceMs: 55.96,
    });
    expect(inferenceResultProblems(result)).to.deep.equal([]);
  });

  it("sends every schema field and nothing else (the schema and the code stay in step)", () => {
    // The frame's facts (schemaMinor 1) are sent when known: a triggered stream frame knows them all.
    const frame = {
      source: "stream",
      capturedAt: "2026-11-29T18:52:59.990Z",
      partId: "P-1",
      line: "L1",
      station: "S2",
      framesSkipped: 3,
    };
    const full = resultMessage("part-001.jpg", inspection, model, { ...context, frame });
    expect(Object.keys(full).sort()).to.deep.equal(Object.keys(inferenceResultSchema.properties).sort());
    expect(inferenceResultProblems(full, { exact: true })).to.deep.equal([]);
    // sentForLabeling and schemaMinor are optional, so results of detectors older than them stay valid.
    expect([...inferenceResultSchema.required, "sentForLabeling", "schemaMinor"].sort()).to.deep.equal(
      Object.keys(result).sort(),
    );
  });

  it("says whether the image was sent back for labeling; a message without the field is still valid", () => {
    expect(result.sentForLabeling).to.equal(false);
    const sent = { ...result, sentForLabeling: true };
    expect(inferenceResultProblems(sent)).to.deep.equal([]);
    expect(summaryLine(sent, 3)).to.match(/\(56\.0 ms, 3 queued, sent for labeling\)$/);
    const { sentForLabeling: _, ...older } = result;
    expect(inferenceResultProblems(older)).to.deep.equal([]);
    expect(inferenceResultProblems({ ...result, sentForLabeling: "yes" }).join("\n")).to.match(
      /sentForLabeling must be boolean/,
    );
  });

  it("reports an image without detections as three empty lists", () => {
    const clean = resultMessage("clean.jpg", { ...inspection, detections: [] }, model, context);
    expect(clean.inference_results).to.deep.equal([[[], [], []]]);
    expect(inferenceResultProblems(clean)).to.deep.equal([]);
    expect(summaryLine(clean, 0)).to.equal("clean.jpg 450x300: nothing found (56.0 ms, 0 queued)");
  });

  const broken: [string, (r: InferenceResult) => unknown, RegExp][] = [
    ["an extra field", (r) => ({ ...r, sentForLabelling: true }), /must NOT have additional properties/],
    [
      "the seed's timestamp format",
      (r) => ({ ...r, timestamp: "2026-11-29 18:53:00.123456+00:00" }),
      /timestamp must match pattern/,
    ],
    [
      "boxes in x, y, w, h",
      (r) => ({ ...r, inference_results: [[[0], [0.9], [[10, 10, 5]]]] }),
      /must NOT have fewer than 4 items/,
    ],
    ["a score above 1", (r) => ({ ...r, inference_results: [[[0], [1.5], [[1, 2, 3, 4]]]] }), /must be <= 1/],
    [
      "arrays of different lengths",
      (r) => ({ ...r, inference_results: [[[0, 0], [0.9], [[1, 2, 3, 4]]]] }),
      /equally long/,
    ],
    ["a box with x2 < x1", (r) => ({ ...r, inference_results: [[[0], [0.9], [[30, 2, 3, 4]]]] }), /x1 <= x2/],
    [
      "a box outside the image",
      (r) => ({ ...r, inference_results: [[[0], [0.9], [[1, 2, 500, 4]]]] }),
      /inside the 450x300 image/,
    ],
    [
      "a class id without a name",
      (r) => ({ ...r, inference_results: [[[1], [0.9], [[1, 2, 3, 4]]]] }),
      /must index classNames/,
    ],
    ["a directory in image_name", (r) => ({ ...r, image_name: "cam/part.jpg" }), /image_name must match pattern/],
  ];
  for (const [what, mutate, problem] of broken) {
    it(`rejects ${what}`, () => {
      expect(inferenceResultProblems(mutate(result), { exact: true }).join("\n")).to.match(problem);
      // A consumer ignores a field it does not know (docs/contracts.md, Evolution); everything else it refuses too.
      if (what === "an extra field") expect(inferenceResultProblems(mutate(result))).to.deep.equal([]);
      else expect(inferenceResultProblems(mutate(result)).join("\n")).to.match(problem);
    });
  }

  it("builds error messages for <topic>/errors that match their schema", () => {
    expect(errorTopicOf("qualityinspection/scratch-detection")).to.equal("qualityinspection/scratch-detection/errors");
    const unreadable = errorMessage("IMAGE_UNREADABLE", "cannot decode part.jpg", context, { imageName: "part.jpg" });
    expect(unreadable).to.deep.equal({
      schemaVersion: 1,
      schemaMinor: 1,
      messageId: context.messageId,
      timestamp: "2026-11-29T18:53:00.123Z",
      thingName: "line-1",
      code: "IMAGE_UNREADABLE",
      message: "cannot decode part.jpg",
      image_name: "part.jpg",
    });
    expect(inferenceErrorProblems(unreadable)).to.deep.equal([]);
    const dropped = errorMessage("OUTBOX_DROPPED", "outbox full", context, { droppedTotal: 3 });
    expect(inferenceErrorProblems(dropped)).to.deep.equal([]);
    expect(inferenceErrorProblems({ ...dropped, code: "SOMETHING" }, { exact: true }).join()).to.match(
      /must be equal to one of the allowed values/,
    );
    // Codes are added within a major version: a consumer takes one it does not know, but not a malformed one.
    expect(inferenceErrorProblems({ ...dropped, code: "SOMETHING" })).to.deep.equal([]);
    expect(inferenceErrorProblems({ ...dropped, code: "not a code" }).join()).to.match(
      /must be equal to one of the allowed values/,
    );
    expect(Object.keys(inferenceErrorSchema.properties)).to.include.members(Object.keys(unreadable));
  });
});
