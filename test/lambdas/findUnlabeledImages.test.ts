import { expect } from "chai";
import {
  BatchGetRecordCommand,
  SageMakerFeatureStoreRuntimeClient,
} from "@aws-sdk/client-sagemaker-featurestore-runtime";
import { deviceImageKey } from "../../contracts/dataLake";
import { imageIdFromKey, toFeatureValues } from "../../contracts/labelRecord";
import { findUnlabeledImages } from "../../lambdas/findUnlabeledImages/handler";
import { featureStoreLabelStore } from "../../lib/aws/featureStoreLabelStore";
import { labelFor } from "../harness/labels";
import { MemoryLabelStore, MemoryObjectStore, noSleep, recordingLog } from "../fakes/memoryPorts";
import { mockClient } from "aws-sdk-client-mock";
import { mockedClient } from "../fakes/sdkMock";
import { failureOf } from "../harness/failure";

const event = { imagesPrefix: "images/", maxImages: 2, labelingJobName: "qi-dev-label-run-1" };

function lake() {
  return new MemoryObjectStore()
    .put("images/a.jpg", "x", new Date("2026-03-01"))
    .put("images/b.PNG", "x", new Date("2026-01-01"))
    .put("images/c.jpeg", "x", new Date("2026-02-01"))
    .put("images/d.jpg", "x", new Date("2026-01-15"))
    .put("images/notes.txt", "x")
    .put("datasets/x/train/annotations.jsonl", "x");
}

describe("FindUnlabeledImages", () => {
  it("returns the images without an approved label, longest-waiting first, capped", async () => {
    const objects = lake();
    const labels = new MemoryLabelStore([labelFor("images/a.jpg"), labelFor("images/d.jpg", { status: "REJECTED" })]);
    const result = await findUnlabeledImages(event, { objects, labels, log: recordingLog() });
    expect(result).to.deep.equal({
      images: 4,
      labeled: 1,
      unlabeled: 3,
      selected: 2,
      selectionKey: "labeling/qi-dev-label-run-1/selection.json",
    });
    // b (January 1st), then d (rejected label, January 15th); c (February) waits for the next job.
    expect(objects.json(result.selectionKey!)).to.deep.equal(["images/b.PNG", "images/d.jpg"]);
  });

  it("labels an image again when its stored record breaks the contract", async () => {
    const labels = new MemoryLabelStore([
      labelFor("images/a.jpg"),
      labelFor("images/b.PNG"),
      labelFor("images/c.jpeg"),
    ]);
    labels.records.delete(imageIdFromKey("images/d.jpg"));
    labels.invalid.set(imageIdFromKey("images/d.jpg"), "image_width: expected number");
    const log = recordingLog();
    const result = await findUnlabeledImages({ ...event, maxImages: 10 }, { objects: lake(), labels, log });
    expect(result.selected).to.equal(1);
    expect(log.entries.some((e) => e.level === "warn" && e.message.includes("break the label contract"))).to.equal(
      true,
    );
  });

  it("writes nothing and reports zero when every image is labeled", async () => {
    const objects = lake();
    const keys = ["images/a.jpg", "images/b.PNG", "images/c.jpeg", "images/d.jpg"];
    const result = await findUnlabeledImages(event, {
      objects,
      labels: new MemoryLabelStore(keys.map((k) => labelFor(k))),
      log: recordingLog(),
    });
    expect(result).to.include({ unlabeled: 0, selected: 0, selectionKey: null });
    expect([...objects.objects.keys()].some((k) => k.startsWith("labeling/"))).to.equal(false);
  });

  it("finds images edge devices sent back (images/devices/...) as unlabeled on its next run", async () => {
    const sentBack = [0, 1, 2].map((i) =>
      deviceImageKey({
        thingName: i === 2 ? "qi-dev-line-2" : "qi-dev-line-1",
        inspectedAt: new Date(Date.UTC(2026, 10, 29, 8, i)),
        imageName: "part-001.jpg",
        messageId: `${i}b2f4c1e-7d3a-4e5b-8c6d-0a1b2c3d4e5f`,
      }),
    );
    const objects = lake();
    for (const key of sentBack) objects.put(key, "jpeg bytes", new Date("2026-11-29"));
    const labels = new MemoryLabelStore(
      ["a.jpg", "b.PNG", "c.jpeg", "d.jpg"].map((name) => labelFor(`images/${name}`)),
    );
    const result = await findUnlabeledImages({ ...event, maxImages: 10 }, { objects, labels, log: recordingLog() });
    expect(result).to.include({ images: 7, labeled: 4, unlabeled: 3, selected: 3 });
    expect(objects.json(result.selectionKey!)).to.deep.equal(sentBack);
  });

  it("looks only under the requested folder", async () => {
    const objects = lake().put("images/line-2/e.jpg", "x");
    const result = await findUnlabeledImages(
      { ...event, imagesPrefix: "images/line-2/" },
      { objects, labels: new MemoryLabelStore(), log: recordingLog() },
    );
    expect(result).to.include({ images: 1, selected: 1 });
  });

  describe("against the Feature Store API (SDK mocked)", () => {
    const featureStore = mockedClient(() => mockClient(SageMakerFeatureStoreRuntimeClient));

    it("batches look-ups by 100 and asks again for unprocessed identifiers", async () => {
      const keys = Array.from({ length: 250 }, (_, i) => `images/${String(i).padStart(3, "0")}.jpg`);
      const objects = new MemoryObjectStore();
      for (const key of keys) objects.put(key, "x");
      const stored = new Map(keys.slice(0, 200).map((k) => [imageIdFromKey(k), labelFor(k)]));
      let firstCall = true;
      featureStore()
        .on(BatchGetRecordCommand)
        .callsFake((input) => {
          const ids: string[] = input.Identifiers[0].RecordIdentifiersValueAsString;
          expect(ids.length).to.be.at.most(100);
          // The first call leaves its last 10 ids unprocessed, as a throttled service would.
          const answered = firstCall ? ids.slice(0, -10) : ids;
          const unprocessed = firstCall ? ids.slice(-10) : [];
          firstCall = false;
          return {
            Records: answered
              .filter((id) => stored.has(id))
              .map((id) => ({
                FeatureGroupName: "qi-dev-labels",
                RecordIdentifierValueAsString: id,
                Record: toFeatureValues(stored.get(id)!),
              })),
            Errors: [],
            UnprocessedIdentifiers: unprocessed.length
              ? [{ FeatureGroupName: "qi-dev-labels", RecordIdentifiersValueAsString: unprocessed }]
              : [],
          };
        });
      const labels = featureStoreLabelStore(new SageMakerFeatureStoreRuntimeClient({}), "qi-dev-labels", {
        sleep: noSleep,
      });
      const result = await findUnlabeledImages({ ...event, maxImages: 100 }, { objects, labels, log: recordingLog() });
      expect(result).to.include({ images: 250, labeled: 200, unlabeled: 50, selected: 50 });
      expect(featureStore().commandCalls(BatchGetRecordCommand)).to.have.length(4);
    });

    it("asks again for a throttled record, and fails on any other per-record error", async () => {
      const key = "images/a.jpg";
      const id = imageIdFromKey(key);
      featureStore()
        .on(BatchGetRecordCommand)
        .resolvesOnce({
          Errors: [
            {
              RecordIdentifierValueAsString: id,
              ErrorCode: "ThrottlingException",
              ErrorMessage: "slow down",
              FeatureGroupName: "g",
            },
          ],
        })
        .resolvesOnce({
          Records: [
            { FeatureGroupName: "g", RecordIdentifierValueAsString: id, Record: toFeatureValues(labelFor(key)) },
          ],
        })
        .resolves({
          Errors: [
            {
              RecordIdentifierValueAsString: id,
              ErrorCode: "ValidationError",
              ErrorMessage: "no such group",
              FeatureGroupName: "g",
            },
          ],
        });
      const labels = featureStoreLabelStore(new SageMakerFeatureStoreRuntimeClient({}), "g", { sleep: noSleep });
      expect((await labels.get([id])).found.has(id)).to.equal(true);
      const error = await failureOf(labels.get([id]));
      expect(error.message).to.contain("ValidationError: no such group");
    });

    it("reports a stored record that breaks the contract as invalid, not as labeled", async () => {
      const key = "images/a.jpg";
      const broken = toFeatureValues(labelFor(key)).filter((v) => v.FeatureName !== "status");
      featureStore()
        .on(BatchGetRecordCommand)
        .resolves({
          Records: [{ FeatureGroupName: "g", RecordIdentifierValueAsString: imageIdFromKey(key), Record: broken }],
        });
      const labels = featureStoreLabelStore(new SageMakerFeatureStoreRuntimeClient({}), "g", { sleep: noSleep });
      const lookup = await labels.get([imageIdFromKey(key)]);
      expect(lookup.found.size).to.equal(0);
      expect(lookup.invalid.get(imageIdFromKey(key))).to.match(/status/);
    });
  });
});
