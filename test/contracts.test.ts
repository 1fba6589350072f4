import { expect } from "chai";
import { DATA_LAKE_PREFIXES, isImageKey } from "../contracts/dataLake";
import {
  fromFeatureValues,
  imageIdFromKey,
  LabelRecord,
  labelRecordSchema,
  toFeatureValues,
} from "../contracts/labelRecord";

const record: LabelRecord = {
  image_id: imageIdFromKey("images/bad/part-001.jpg"),
  event_time: 1657199072.5,
  source_ref: "s3://bucket/images/bad/part-001.jpg",
  image_width: 450,
  image_height: 300,
  image_depth: 3,
  annotations: JSON.stringify([{ class_id: 0, left: 81, top: 123, width: 82, height: 97 }]),
  labeling_job: "qi-dev-labeling-2026-11-29",
  status: "APPROVED",
};

describe("data lake layout", () => {
  it("gives every prefix a distinct top-level folder", () => {
    const prefixes = Object.values(DATA_LAKE_PREFIXES);
    expect(new Set(prefixes).size).to.equal(prefixes.length);
    for (const prefix of prefixes) expect(prefix).to.match(/^[a-z-]+\/$/);
  });

  it("recognises images under the images prefix only", () => {
    expect(isImageKey("images/line-1/2026-11-29/a.JPG")).to.equal(true);
    expect(isImageKey("images/a.png")).to.equal(true);
    expect(isImageKey("images/a.jpeg")).to.equal(true);
    expect(isImageKey("images/notes.txt")).to.equal(false);
    expect(isImageKey("datasets/a.jpg")).to.equal(false);
  });
});

describe("label record", () => {
  it("derives a stable 32-hex image id from the object key alone", () => {
    expect(imageIdFromKey("images/a.jpg")).to.equal(imageIdFromKey("images/a.jpg"));
    expect(imageIdFromKey("images/a.jpg")).to.not.equal(imageIdFromKey("images/b.jpg"));
    expect(imageIdFromKey("images/a.jpg")).to.match(/^[0-9a-f]{32}$/);
  });

  it("round-trips through Feature Store's string values", () => {
    const values = toFeatureValues(record);
    expect(values.every((v) => typeof v.ValueAsString === "string")).to.equal(true);
    expect(fromFeatureValues(values)).to.deep.equal(record);
  });

  it("rejects annotations that are not boxes in pixels", () => {
    const bad = { ...record, annotations: JSON.stringify([{ class_id: 0, left: 1, top: 2, width: -3, height: 4 }]) };
    const result = labelRecordSchema.safeParse(bad);
    expect(result.success).to.equal(false);
    expect(result.error?.issues[0].path).to.deep.equal(["annotations"]);
    expect(labelRecordSchema.safeParse({ ...record, annotations: "not json" }).success).to.equal(false);
  });

  it("accepts an image checked and found clean", () => {
    expect(labelRecordSchema.parse({ ...record, annotations: "[]" }).annotations).to.equal("[]");
  });

  it("names the missing feature when a stored record is incomplete", () => {
    const values = toFeatureValues(record).filter((v) => v.FeatureName !== "image_width");
    expect(() => fromFeatureValues(values)).to.throw(/image_width/);
  });
});
