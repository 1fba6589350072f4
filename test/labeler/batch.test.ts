import { expect } from "chai";
import { LABELING_BATCH_REJECTED, labelingBatchResultSchema } from "../../contracts/labelingBatch";
import { imageIdFromKey } from "../../contracts/labelRecord";
import { labelFromLine } from "../../lambdas/ingestLabels/groundTruth";
import { BatchSession, LocalVersionedObjects } from "../../labeler";
import {
  AlreadyLabeledError,
  BadRequestError,
  BatchClosedError,
  ImageClaimedError,
  UnknownImageError,
} from "../../labeler/src/errors";
import { labelingJobKeys } from "../../lib/labeling";
import { keyInBucket } from "../../lib/s3Uri";
import { MemoryObjectStore } from "../fakes/memoryPorts";
import { RecordingCallbacks, writeBatch } from "../harness/labelingBatches";

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a rejection");
}

describe("labeler: a labeling batch shared by several people", () => {
  let objects: MemoryObjectStore;
  let callbacks: RecordingCallbacks;
  let clock: number;
  let imageKeys: string[];
  const open = () =>
    BatchSession.open(
      { objects, versioned: new LocalVersionedObjects(objects), callbacks, now: () => clock, claimSeconds: 60 },
      labelingJobKeys("qi-dev-label-1").batch,
    );

  beforeEach(async () => {
    objects = new MemoryObjectStore();
    callbacks = new RecordingCallbacks();
    clock = Date.UTC(2026, 11, 5, 9);
    ({ imageKeys } = await writeBatch(objects, { count: 3 }));
  });

  it("hands each person a different image, and an expired claim to the next person", async () => {
    const [ana, ben] = [await open(), await open()];
    const first = await ana.next("ana");
    const second = await ben.next("ben");
    expect(first!.image.key).to.equal(imageKeys[0]);
    expect(second!.image.key, "ana holds the first").to.equal(imageKeys[1]);
    expect((await ana.next("ana"))!.image.key, "ana keeps hers").to.equal(imageKeys[0]);
    expect(await rejection(ben.claim(first!.image.id, "ben"))).to.be.instanceOf(ImageClaimedError);
    expect((await ben.progress("ben")).claimedByOthers).to.equal(1);
    clock += 61_000;
    expect(await ben.claim(first!.image.id, "ben"), "ana's claim expired").to.equal(clock + 60_000);
    expect(
      await rejection(ana.save(first!.image.id, "ana", { width: 90, height: 60, annotations: [] })),
    ).to.be.instanceOf(ImageClaimedError);
  });

  it("lets only one of two people win a claim on the same image at the same moment", async () => {
    const [ana, ben] = [await open(), await open()];
    const id = imageIdFromKey(imageKeys[2]);
    const results = await Promise.allSettled([ana.claim(id, "ana"), ben.claim(id, "ben")]);
    expect(results.map((r) => r.status).sort()).to.deep.equal(["fulfilled", "rejected"]);
  });

  it("saves each image once, then writes Ground Truth's output and completes the task token", async () => {
    const session = await open();
    const boxes = [{ class_id: 0, left: 10, top: 10, width: 20, height: 8 }];
    const ids = imageKeys.map(imageIdFromKey);
    await session.save(ids[0], "ana", { width: 90, height: 60, annotations: boxes });
    expect(await rejection(session.save(ids[0], "ben", { width: 90, height: 60, annotations: [] }))).to.be.instanceOf(
      AlreadyLabeledError,
    );
    await session.save(ids[1], "ben", { width: 90, height: 60, annotations: [] });
    expect(callbacks.calls.filter((c) => c.kind === "succeed")).to.have.length(0);
    const progress = await session.save(ids[2], "ana", { width: 90, height: 60, annotations: boxes });
    expect(progress).to.include({ labeled: 3, remaining: 0, closed: "finished" });

    const [success] = callbacks.calls.filter((c) => c.kind === "succeed");
    expect(success.token).to.equal("token-1");
    const result = labelingBatchResultSchema.parse(success.detail);
    expect(result.counters).to.deep.equal({ total: 3, withDefects: 2, noDefect: 1 });
    expect(result.labelers).to.deep.equal(["ana", "ben"]);
    const lines = objects.text(keyInBucket(result.outputManifestUri, objects.bucket)).trim().split("\n");
    const context = {
      bucket: objects.bucket,
      classes: ["scratch"],
      labelingJobName: "qi-dev-label-1",
      verified: false,
      now: 0,
    };
    const records = lines.map((line) => labelFromLine(line, context));
    expect(records.map((r) => ("record" in r ? JSON.parse(r.record.annotations) : r))).to.deep.equal([
      boxes,
      [],
      boxes,
    ]);
    expect(
      callbacks.calls.filter((c) => c.kind === "heartbeat"),
      "a heartbeat per save",
    ).to.have.length(3);
    expect(await session.next("ana"), "nothing left").to.equal(undefined);
    expect(await rejection(session.claim(ids[0], "ana"))).to.be.instanceOf(BatchClosedError);
  });

  it("refuses boxes outside the image, unknown classes and unknown images, by name", async () => {
    const session = await open();
    const id = imageIdFromKey(imageKeys[0]);
    const outside = { class_id: 0, left: 80, top: 10, width: 20, height: 8 };
    const error = await rejection(session.save(id, "ana", { width: 90, height: 60, annotations: [outside] }));
    expect(error).to.be.instanceOf(BadRequestError);
    expect(error.message).to.equal("annotations.0 must lie inside the 90×60 image");
    const unknownClass = await rejection(
      session.save(id, "ana", { width: 90, height: 60, annotations: [{ ...outside, left: 1, class_id: 3 }] }),
    );
    expect(unknownClass.message).to.equal("annotations.0.class_id must be below 1");
    expect(await rejection(session.claim("0".repeat(32), "ana"))).to.be.instanceOf(UnknownImageError);
  });

  it("fails the task token when a person rejects the batch, once", async () => {
    const session = await open();
    await session.reject("ana", "the photos are out of focus");
    expect(callbacks.calls).to.deep.equal([
      {
        kind: "fail",
        token: "token-1",
        detail: { error: LABELING_BATCH_REJECTED, cause: "ana: the photos are out of focus" },
      },
    ]);
    expect(await rejection((await open()).reject("ben", "me too"))).to.be.instanceOf(BatchClosedError);
    expect((await session.progress("ana")).closed).to.equal("rejected");
  });
});
