import { expect } from "chai";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { PutRecordCommand, SageMakerFeatureStoreRuntimeClient } from "@aws-sdk/client-sagemaker-featurestore-runtime";
import { fromFeatureValues, imageIdFromKey, LabelRecord } from "../../contracts/labelRecord";
import { labelFromLine } from "../../lambdas/ingestLabels/groundTruth";
import { ingestLabels, IngestLabelsEvent } from "../../lambdas/ingestLabels/handler";
import { featureStoreLabelStore } from "../../lib/aws/featureStoreLabelStore";
import { LabelStoreThrottledError } from "../../lib/errors";
import { MemoryLabelStore, MemoryObjectStore, noSleep, recordingLog } from "../fakes/memoryPorts";
import { mockClient } from "aws-sdk-client-mock";
import { mockedClient } from "../fakes/sdkMock";
import { failureOf } from "../harness/failure";

const FIXTURES = path.join(__dirname, "..", "fixtures", "ground-truth");
const job = "qi-dev-label-manual-run-1-3fa2b1c9";
const outputKey = `labeling/${job}/output/${job}/manifests/output/output.manifest`;
const verifiedKey = `labeling/${job}/verification-output/v/manifests/output/output.manifest`;

const event = (overrides: Partial<IngestLabelsEvent> = {}): IngestLabelsEvent => ({
  manifestUri: `s3://qi-test-lake/${outputKey}`,
  labelingJobName: job,
  classes: ["scratch"],
  verified: false,
  ...overrides,
});

function lake(): MemoryObjectStore {
  return new MemoryObjectStore()
    .put(outputKey, readFileSync(path.join(FIXTURES, "boxes-output.manifest")))
    .put(verifiedKey, readFileSync(path.join(FIXTURES, "verification-output.manifest")));
}

describe("IngestLabels", () => {
  it("stores every valid line as a label record and reports the rest by reason", async () => {
    const objects = lake();
    const labels = new MemoryLabelStore();
    const result = await ingestLabels(event(), { objects, labels, log: recordingLog(), sleep: noSleep });
    expect(result).to.deep.equal({
      lines: 10,
      ingested: 5,
      approved: 5,
      rejectedByVerification: 0,
      clippedBoxes: 0,
      rejected: 5,
      rejectedByReason: {
        "not-json": 1,
        "labeling-failed": 1,
        "not-in-data-lake": 1,
        "unknown-class": 1,
        "invalid-label": 1,
      },
      reportKey: `labeling/${job}/ingest-report.json`,
    });
    const key = "images/bad/image-2020-04-22-11-07-29-26-cropped-left-top.jpg";
    const record = labels.records.get(imageIdFromKey(key))!;
    expect(record).to.deep.include({
      source_ref: `s3://qi-test-lake/${key}`,
      image_width: 450,
      image_height: 300,
      image_depth: 3,
      labeling_job: `labeling-job/${job}`,
      status: "APPROVED",
      event_time: Date.parse("2026-11-30T09:12:44.123Z") / 1000,
    });
    expect(JSON.parse(record.annotations)).to.deep.equal([
      { class_id: 0, left: 81, top: 123, width: 82, height: 97 },
      { class_id: 0, left: 180, top: 119, width: 72, height: 70 },
      { class_id: 0, left: 286, top: 79, width: 52, height: 82 },
    ]);
    const clean = [...labels.records.values()].find((r) => r.source_ref.includes("/good/"))!;
    expect(clean.annotations, "a clean part is a label too").to.equal("[]");
  });

  it("lists every rejected line with its line number and reason in the report", async () => {
    const objects = lake();
    await ingestLabels(event(), { objects, labels: new MemoryLabelStore(), log: recordingLog(), sleep: noSleep });
    const report = objects.json(`labeling/${job}/ingest-report.json`) as {
      rejections: { line: number; code: string; detail: string }[];
    };
    expect(report.rejections.map((r) => [r.line, r.code])).to.deep.equal([
      [6, "not-json"],
      [7, "labeling-failed"],
      [8, "not-in-data-lake"],
      [9, "unknown-class"],
      [10, "invalid-label"],
    ]);
    expect(report.rejections[1].detail).to.contain("did not submit the task before it expired");
    expect(report.rejections[3].detail).to.contain("class id 2 is not one of the 1 classes");
    expect(report.rejections[4].detail).to.match(/annotations/);
  });

  describe("boxes", () => {
    const image = "images/bad/edge.jpg";
    const line = (annotations: unknown[]) =>
      JSON.stringify({
        "source-ref": `s3://qi-test-lake/${image}`,
        boxes: { image_size: [{ width: 450, height: 300, depth: 3 }], annotations },
        "boxes-metadata": { "job-name": `labeling-job/${job}`, "creation-date": "2026-11-30T09:12:44.123" },
      });
    const box = (left: number, top: number, width: number, height: number) => ({
      class_id: 0,
      left,
      top,
      width,
      height,
    });
    const ingest = async (...lines: string[]) => {
      const objects = new MemoryObjectStore().put(outputKey, `${lines.join("\n")}\n`);
      const labels = new MemoryLabelStore();
      const result = await ingestLabels(event(), { objects, labels, log: recordingLog(), sleep: noSleep });
      const report = objects.json(`labeling/${job}/ingest-report.json`) as {
        clippedBoxes: number;
        clipped: { line: number; sourceRef: string; boxes: number[] }[];
        rejections: { line: number; code: string; detail: string }[];
      };
      return { result, report, stored: [...labels.records.values()] };
    };

    it("clips a box that runs past the image edge to the image, and counts it in the result and the report", async () => {
      const { result, report, stored } = await ingest(
        line([box(10, 20, 30, 40), box(400, 250, 80, 70), box(-5, -10, 20, 30)]),
      );
      expect(result).to.include({ ingested: 1, rejected: 0, clippedBoxes: 2 });
      expect(JSON.parse(stored[0].annotations)).to.deep.equal([
        box(10, 20, 30, 40),
        box(400, 250, 50, 50),
        box(0, 0, 15, 20),
      ]);
      expect(report.clippedBoxes).to.equal(2);
      expect(report.clipped).to.deep.equal([{ line: 1, sourceRef: `s3://qi-test-lake/${image}`, boxes: [1, 2] }]);
    });

    it("rejects a box that lies wholly outside the image, naming the box", async () => {
      const { result, report } = await ingest(line([box(10, 20, 30, 40)]), line([box(1, 1, 5, 5), box(460, 10, 5, 5)]));
      expect(result).to.include({ ingested: 1, rejected: 1, clippedBoxes: 0 });
      expect(report.rejections).to.deep.equal([
        {
          line: 2,
          code: "invalid-label",
          detail: "annotations[1]: lies outside the 450x300 image (left 460, top 10, width 5, height 5)",
          sourceRef: `s3://qi-test-lake/${image}`,
        },
      ]);
    });

    it("rejects a zero-size box, naming the box's index and the field", async () => {
      const { report } = await ingest(
        line([box(10, 20, 30, 40)]),
        line([box(1, 1, 5, 5), box(10, 10, 0, 12)]),
        line([box(10, 10, 12, 0)]),
        line([{ class_id: 0, left: 1, top: 2, width: "3", height: 4 }]),
      );
      expect(report.rejections.map((r) => [r.line, r.code, r.detail])).to.deep.equal([
        [2, "invalid-label", "annotations[1].width: must be > 0 pixels, a box with an area (got 0)"],
        [3, "invalid-label", "annotations[0].height: must be > 0 pixels, a box with an area (got 0)"],
        [4, "invalid-label", 'annotations[0].width: must be a number (got "3")'],
      ]);
    });
  });

  it("rejects a line whose source-ref is not an s3://bucket/key URI, instead of failing the whole job", () => {
    const context = { bucket: "qi-test-lake", classes: ["scratch"], labelingJobName: job, verified: false, now: 0 };
    for (const sourceRef of ["s3://qi-test-lake", "s3://", "https://qi-test-lake/images/a.jpg"]) {
      expect(labelFromLine(JSON.stringify({ "source-ref": sourceRef }), context), sourceRef).to.deep.include({
        code: "not-in-data-lake",
        sourceRef,
      });
    }
  });

  it("stores a label judged wrong by verification as REJECTED, and skips unverified ones", async () => {
    const labels = new MemoryLabelStore();
    const result = await ingestLabels(event({ manifestUri: `s3://qi-test-lake/${verifiedKey}`, verified: true }), {
      objects: lake(),
      labels,
      log: recordingLog(),
      sleep: noSleep,
    });
    expect(result).to.include({ lines: 3, ingested: 2, approved: 1, rejectedByVerification: 1, rejected: 1 });
    expect(result.rejectedByReason).to.deep.equal({ "verification-missing": 1 });
    expect([...labels.records.values()].map((r) => r.status).sort()).to.deep.equal(["APPROVED", "REJECTED"]);
  });

  it("fails when not a single line is usable", async () => {
    const objects = new MemoryObjectStore().put(outputKey, "{not json\n{}\n");
    const error = await failureOf(
      ingestLabels(event(), { objects, labels: new MemoryLabelStore(), log: recordingLog(), sleep: noSleep }),
    );
    expect(error.name).to.equal("NoValidLabelsError");
    expect(error.message).to.contain("none of the 2 lines");
    expect(objects.text(`labeling/${job}/ingest-report.json`), "the report is written before failing").to.contain(
      "not-json",
    );
  });

  it("refuses a manifest outside the data lake bucket", async () => {
    const error = await failureOf(
      ingestLabels(event({ manifestUri: "s3://elsewhere/x.manifest" }), {
        objects: lake(),
        labels: new MemoryLabelStore(),
        log: recordingLog(),
      }),
    );
    expect(error.name).to.equal("InvalidEventError");
  });

  it("backs off and retries while the label store throttles", async () => {
    const labels = new MemoryLabelStore();
    labels.throttleNextPuts = 3;
    const waits: number[] = [];
    const result = await ingestLabels(event(), {
      objects: lake(),
      labels,
      log: recordingLog(),
      sleep: async (ms) => void waits.push(ms),
    });
    expect(result.ingested).to.equal(5);
    expect(labels.records.size).to.equal(5);
    expect(waits).to.have.length(3);
  });

  describe("against the Feature Store API (SDK mocked)", () => {
    const featureStore = mockedClient(() => mockClient(SageMakerFeatureStoreRuntimeClient));
    const throttling = () => Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" });

    it("retries a throttled PutRecord until it goes through", async () => {
      const written: LabelRecord[] = [];
      let calls = 0;
      featureStore()
        .on(PutRecordCommand)
        .callsFake((input) => {
          calls += 1;
          if (calls <= 2) throw throttling();
          written.push(fromFeatureValues(input.Record));
          return {};
        });
      const labels = featureStoreLabelStore(new SageMakerFeatureStoreRuntimeClient({}), "qi-dev-labels");
      const result = await ingestLabels(event(), { objects: lake(), labels, log: recordingLog(), sleep: noSleep });
      expect(result.ingested).to.equal(5);
      expect(written).to.have.length(5);
      expect(calls).to.equal(7);
      expect(featureStore().commandCalls(PutRecordCommand)[0].args[0].input.FeatureGroupName).to.equal("qi-dev-labels");
    });

    it("gives up with LabelStoreThrottledError, which the state machine retries, when throttling persists", async () => {
      featureStore().on(PutRecordCommand).rejects(throttling());
      const labels = featureStoreLabelStore(new SageMakerFeatureStoreRuntimeClient({}), "qi-dev-labels");
      const error = await failureOf(
        ingestLabels(event(), { objects: lake(), labels, log: recordingLog(), sleep: noSleep }),
      );
      expect(error).to.be.instanceOf(LabelStoreThrottledError);
      expect(error.name).to.equal("LabelStoreThrottledError");
    });

    it("does not retry other errors", async () => {
      featureStore()
        .on(PutRecordCommand)
        .rejects(Object.assign(new Error("bad feature"), { name: "ValidationError" }));
      const labels = featureStoreLabelStore(new SageMakerFeatureStoreRuntimeClient({}), "qi-dev-labels");
      const error = await failureOf(
        ingestLabels(event(), { objects: lake(), labels, log: recordingLog(), sleep: noSleep }),
      );
      expect(error.name).to.equal("ValidationError");
      expect(featureStore().commandCalls(PutRecordCommand), "each record tried once").to.have.length(5);
    });
  });
});
