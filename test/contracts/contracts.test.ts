import { expect } from "chai";
import {
  DATA_LAKE_PREFIXES,
  DEVICE_IMAGES_PREFIX,
  deviceImageKey,
  DeviceImageKeyError,
  deviceImagesPrefix,
  isImageKey,
} from "../../contracts/dataLake";
import {
  datasetRecordSchema,
  datasetSummarySchema,
  labelsHash,
  splitOf,
  stratifiedSplit,
  toDatasetRecord,
} from "../../contracts/dataset";
import { componentArtifactKey, componentNames, modelComponentVersion } from "../../contracts/modelComponent";
import { letterboxGeometry, modelManifestSchema } from "../../contracts/modelManifest";
import {
  fromFeatureValues,
  imageIdFromKey,
  LabelRecord,
  labelRecordSchema,
  toFeatureValues,
} from "../../contracts/labelRecord";

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

  describe("images sent back by devices", () => {
    const image = {
      thingName: "qi-dev-line-1",
      inspectedAt: new Date("2026-11-29T18:53:00.123Z"),
      imageName: "part-001.jpg",
      messageId: "9b2f4c1e-7d3a-4e5b-8c6d-0a1b2c3d4e5f",
    };

    it("go to images/devices/<thing>/<day>/<time>-<message id>-<name>, an image key the pipeline labels", () => {
      const key = deviceImageKey(image);
      expect(key).to.equal("images/devices/qi-dev-line-1/2026-11-29/185300.123Z-9b2f4c1e-part-001.jpg");
      expect(key.startsWith(deviceImagesPrefix("qi-dev-line-1"))).to.equal(true);
      expect(key.startsWith(DEVICE_IMAGES_PREFIX)).to.equal(true);
      expect(isImageKey(key)).to.equal(true);
    });

    it("stay unique when the camera reuses a file name, even within one millisecond", () => {
      const keys = new Set([
        deviceImageKey(image),
        deviceImageKey({ ...image, inspectedAt: new Date("2026-11-29T18:53:05.123Z") }),
        deviceImageKey({ ...image, messageId: "0c1d2e3f-7d3a-4e5b-8c6d-0a1b2c3d4e5f" }),
        deviceImageKey({ ...image, thingName: "qi-dev-line-2" }),
      ]);
      expect(keys.size).to.equal(4);
    });

    it("sort by time within a device's day, in UTC", () => {
      const at = (iso: string) => deviceImageKey({ ...image, inspectedAt: new Date(iso) });
      const keys = [at("2026-11-29T23:59:59.999Z"), at("2026-11-29T00:00:00.000Z"), at("2026-11-29T09:05:01.010Z")];
      expect([...keys].sort()).to.deep.equal([keys[1], keys[2], keys[0]]);
      expect(at("2026-11-30T00:30:00.000+02:00")).to.contain("/2026-11-29/223000.000Z-");
    });

    it("keep the name readable but safe in URIs and manifests, and keep its extension", () => {
      expect(deviceImageKey({ ...image, imageName: "Teil 7 (ä).JPEG" })).to.match(/-9b2f4c1e-Teil_7____\.JPEG$/);
      expect(deviceImageKey({ ...image, imageName: `${"x".repeat(500)}.png` })).to.have.length.below(250);
    });

    const bad: [Partial<typeof image>, RegExp][] = [
      [{ thingName: "line 1" }, /thingName must be 1 to 128 letters/],
      [{ imageName: "notes.txt" }, /imageName must be a file name ending in .jpg, .jpeg, .png/],
      [{ imageName: "sub/a.jpg" }, /imageName must be a file name/],
      [{ messageId: "not-a-uuid" }, /messageId must be a UUID/],
      [{ inspectedAt: new Date("soon") }, /inspectedAt must be a valid time/],
    ];
    for (const [override, message] of bad) {
      it(`refuses ${JSON.stringify(override)}, naming the field`, () => {
        expect(() => deviceImageKey({ ...image, ...override })).to.throw(DeviceImageKeyError, message);
      });
    }
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

describe("dataset", () => {
  const ids = Array.from({ length: 20_000 }, (_, i) => imageIdFromKey(`images/${i}.jpg`));

  it("splits by image id, close to the requested fractions", () => {
    const counts = { train: 0, validation: 0, test: 0 };
    for (const id of ids) counts[splitOf(id)] += 1;
    expect(counts.train / ids.length).to.be.closeTo(0.8, 0.01);
    expect(counts.validation / ids.length).to.be.closeTo(0.1, 0.01);
    expect(counts.test / ids.length).to.be.closeTo(0.1, 0.01);
  });

  it("gives an image the same split every time, whatever else is in the dataset", () => {
    const first = ids.map((id) => splitOf(id));
    expect(ids.map((id) => splitOf(id))).to.deep.equal(first);
    expect(splitOf(ids[0], { train: 1, validation: 0, test: 0 })).to.equal("train");
    expect(splitOf(ids[0], { train: 0, validation: 0, test: 1 })).to.equal("test");
  });

  it("hashes labels independently of their order", () => {
    const a = { image_id: ids[0], annotations: [{ class_id: 0, left: 1, top: 2, width: 3, height: 4 }] };
    const b = { image_id: ids[1], annotations: [] };
    expect(labelsHash([a, b])).to.equal(labelsHash([b, a]));
    expect(labelsHash([a, b])).to.not.equal(labelsHash([a, { ...b, annotations: a.annotations }]));
  });

  it("turns a label record into a dataset line", () => {
    expect(toDatasetRecord(record, "images/bad/part-001.jpg")).to.deep.equal({
      image: "images/bad/part-001.jpg",
      image_id: record.image_id,
      width: 450,
      height: 300,
      annotations: [{ class_id: 0, left: 81, top: 123, width: 82, height: 97 }],
    });
  });

  describe("stratified split (the evaluation protocol)", () => {
    const box = { class_id: 0, left: 1, top: 2, width: 3, height: 4 };
    // 230 images with boxes and 5 without, as in the real sample data.
    const records = ids.slice(0, 235).map((image_id, i) => ({ image_id, annotations: i < 230 ? [box] : [] }));
    const fractions = { train: 0.7, validation: 0.1, test: 0.2 };
    const count = (splits: Map<string, string>, split: string, withBoxes: boolean) =>
      records.filter((r) => splits.get(r.image_id) === split && r.annotations.length > 0 === withBoxes).length;

    it("gives each split its fraction of the images with boxes and of those without; test never below its own", () => {
      const splits = stratifiedSplit(records, fractions, 0);
      expect(splits.size).to.equal(235);
      expect([
        count(splits, "test", true),
        count(splits, "validation", true),
        count(splits, "train", true),
      ]).to.deep.equal([46, 23, 161]);
      expect([
        count(splits, "test", false),
        count(splits, "validation", false),
        count(splits, "train", false),
      ]).to.deep.equal([1, 1, 3]);
    });

    it("is fixed by its seed, whatever the order of the records, and another seed draws other images", () => {
      const first = stratifiedSplit(records, fractions, 0);
      expect(stratifiedSplit([...records].reverse(), fractions, 0)).to.deep.equal(first);
      const other = stratifiedSplit(records, fractions, 1);
      const moved = records.filter((r) => other.get(r.image_id) !== first.get(r.image_id)).length;
      expect(moved).to.be.greaterThan(50);
    });

    it("is recorded in the summary; summaries from before it still read", () => {
      const summary = {
        schemaVersion: 1,
        datasetId: "d",
        createdAt: "2026-12-01T00:00:00.000Z",
        classes: ["scratch"],
        fractions,
        counts: { train: 1, validation: 1, test: 1 },
        boxes: { train: 1, validation: 1, test: 1 },
        labelsHash: "0".repeat(64),
      };
      expect(datasetSummarySchema.parse(summary).split).to.equal(undefined);
      const split = { method: "stratified", seed: 3 };
      expect(datasetSummarySchema.parse({ ...summary, split }).split).to.deep.equal(split);
      expect(datasetSummarySchema.safeParse({ ...summary, split: { method: "stratified" } }).success).to.equal(false);
    });
  });

  it("keeps image paths inside the split", () => {
    const record = { image_id: ids[0], width: 450, height: 300, annotations: [] };
    expect(datasetRecordSchema.safeParse({ ...record, image: "images/a.jpg" }).success).to.equal(true);
    expect(datasetRecordSchema.safeParse({ ...record, image: "../secrets/a.jpg" }).success).to.equal(false);
    expect(datasetRecordSchema.safeParse({ ...record, image: "/etc/a.jpg" }).success).to.equal(false);
  });
});

describe("model manifest", () => {
  it("letterboxes a 450×300 camera image into a 320×320 input, centred", () => {
    expect(letterboxGeometry(450, 300, 320, 320)).to.deep.equal({
      scale: 320 / 450,
      width: 320,
      height: 213,
      padX: 0,
      padY: 53,
    });
    expect(letterboxGeometry(300, 450, 640, 640)).to.include({ width: 427, height: 640, padX: 106, padY: 0 });
  });

  it("accepts a torchvision detector's manifest and fills the label offset", () => {
    const manifest = modelManifestSchema.parse({
      schemaVersion: 1,
      name: "scratch-detector",
      version: "demo",
      file: "model.onnx",
      layout: "torchvision",
      input: { name: "images", width: 320, height: 320, padValue: 114 },
      classes: ["scratch"],
      scoreThreshold: 0.5,
      metrics: { validation: { map50_95: 0.5, map50: 0.9, precision: 0.8, recall: 0.85, images: 35 } },
    });
    expect(manifest.labelOffset).to.equal(0);
  });

  it("keeps each mAP's bootstrap interval and the split the model was measured on", () => {
    const interval = { level: 0.95, resamples: 2000, seed: 0, map50_95: [0.51, 0.62], map50: [0.85, 0.95] };
    const split = {
      method: "stratified",
      seed: 0,
      fractions: { train: 0.7, validation: 0.1, test: 0.2 },
      images: { train: 164, validation: 24, test: 47 },
      imagesWithBoxes: { train: 161, validation: 23, test: 46 },
    };
    const test = { map50_95: 0.56, map50: 0.9, precision: 0.8, recall: 0.85, images: 47, interval };
    const manifest = {
      schemaVersion: 1,
      name: "scratch-detector",
      version: "demo",
      file: "model.onnx",
      layout: "torchvision",
      input: { name: "images", width: 320, height: 320, padValue: 114 },
      classes: ["scratch"],
      scoreThreshold: 0.5,
      metrics: { validation: test, test },
      training: {
        architecture: "a",
        framework: "f",
        epochs: 1,
        seconds: 1,
        seed: 0,
        dataHash: "h",
        split,
        createdAt: "2026-12-01T00:00:00.000Z",
      },
    };
    const parsed = modelManifestSchema.parse(manifest);
    expect(parsed.metrics.test?.interval).to.deep.equal(interval);
    expect(parsed.training?.split).to.deep.equal(split);
    const upsideDown = { ...test, interval: { ...interval, map50_95: [0.62, 0.51] } };
    const refused = modelManifestSchema.safeParse({ ...manifest, metrics: { validation: test, test: upsideDown } });
    expect(refused.error?.issues[0].path.join(".")).to.equal("metrics.test.interval.map50_95");
  });
});

describe("model component", () => {
  it("derives component version and artifact keys from the model package version", () => {
    const { model } = componentNames("qi-dev");
    expect(model).to.equal("qi-dev.ScratchDetectorModel");
    expect(modelComponentVersion(7)).to.equal("1.0.7");
    expect(componentArtifactKey(model, "1.0.7", "model.onnx")).to.equal(
      "components/qi-dev.ScratchDetectorModel/1.0.7/model.onnx",
    );
    expect(() => modelComponentVersion(0)).to.throw(/positive integer/);
  });
});
