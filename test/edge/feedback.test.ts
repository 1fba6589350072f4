import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { promises as fs } from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { deviceImageKey, deviceImagesPrefix } from "../../contracts/dataLake";
import { InferenceResult, inferenceResultProblems } from "../../contracts/inferenceMessages";
import { labelFor } from "../harness/labels";
import { findUnlabeledImages } from "../../lambdas/findUnlabeledImages/handler";
import { EdgeApp } from "../../edge/src/app";
import { parseEdgeConfig } from "../../edge/src/config";
import { Feedback, uploadMetadata } from "../../edge/src/feedback";
import { Log } from "../../edge/src/log";
import { resultMessage } from "../../edge/src/messages";
import { Outbox } from "../../edge/src/outbox";
import { UncertaintyRule } from "../../edge/src/sampling";
import { FolderImageUploader, S3ImageUploader } from "../../edge/src/uploaders";
import { FakeS3 } from "../fakes/fakeS3";
import { gradientJpeg, realSampleImages } from "../harness/images";
import { MemoryLabelStore, MemoryObjectStore, recordingLog } from "../fakes/memoryPorts";
import { tempDir, oneScratchDetector } from "../harness/modelFolders";
import { MOSQUITTO, Mosquitto, NO_MOSQUITTO, Subscriber } from "../processes/mosquitto";
import { memoryLog } from "../fakes/memoryLog";
import { skipBecause } from "../harness/skip";
import { eventually } from "../harness/wait";

const BUCKET = "qi-test-data-lake";
const CREDENTIALS = { accessKeyId: "AKIAFEEDBACKTEST", secretAccessKey: "not-a-secret" };
const RULE: UncertaintyRule = { maxScore: 0.7, band: [0.3, 0.7], maxPerHour: 1000, randomRate: 0 };
const T0 = Date.parse("2026-11-29T08:00:00.000Z");
const UNREACHABLE_BROKER = "mqtt://127.0.0.1:9";

/** A result as the detector builds it, with the given detection scores. */
function resultFor(imageName: string, scores: number[], at: number): InferenceResult {
  return resultMessage(
    imageName,
    {
      width: 450,
      height: 300,
      detections: scores.map((score, i) => ({ classId: 0, score, box: [10 * i, 10, 10 * i + 5, 20] })),
      timings: { decode: 1, preprocess: 1, run: 1, postprocess: 1 },
    },
    { name: "scratch-detector", version: "fixture-1", classes: ["scratch"] },
    { thingName: "line-1", now: new Date(at) },
  );
}

const keyOf = (result: InferenceResult) =>
  deviceImageKey({
    thingName: result.thingName,
    inspectedAt: new Date(result.timestamp),
    imageName: result.image_name,
    messageId: result.messageId,
  });

/** Camera images: the real samples when present, otherwise generated ones of different content. */
async function cameraImages(count: number): Promise<Buffer[]> {
  const real = realSampleImages().slice(0, count);
  if (real.length === count) return real.map((file) => readFileSync(file));
  return Promise.all(
    Array.from({ length: count }, (_, i) => gradientJpeg(450, 300, { x: 20 * i, y: 40, w: 30, h: 8 })),
  );
}

describe("edge feedback: sending uncertain images back", () => {
  const dir = tempDir("feedback");
  let n = 0;
  const fresh = (name: string) => path.join(dir, `${name}-${n++}`);
  let images: Buffer[];
  before(async () => {
    images = await cameraImages(5);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  describe("through the upload outbox to a local S3-compatible endpoint, with the AWS SDK", () => {
    let s3: FakeS3;
    beforeEach(async () => {
      s3 = await FakeS3.start({ accessKeyId: CREDENTIALS.accessKeyId });
    });
    afterEach(() => s3.close());

    const openFeedback = (uploadDir: string, log: Log, requestTimeoutMs?: number) =>
      Feedback.open({
        dir: uploadDir,
        maxBytes: 64 << 20,
        rule: RULE,
        uploader: new S3ImageUploader({
          bucket: BUCKET,
          region: "eu-west-1",
          endpoint: new URL(s3.endpoint),
          credentials: CREDENTIALS,
          requestTimeoutMs,
        }),
        log,
      });

    it("queues images while the endpoint is down and uploads every one when it is back: same bytes, with metadata", async () => {
      await s3.down();
      const log = memoryLog();
      const uploadDir = fresh("uploads");
      const feedback = await openFeedback(uploadDir, log);
      feedback.start();
      const results = images.map((_, i) => resultFor(`part-${i}.jpg`, [0.55], T0 + i * 1000));
      for (const [i, result] of results.entries()) {
        expect(await feedback.consider(images[i], result)).to.deep.equal({ sent: true, dropped: 0 });
      }
      await eventually(
        () => log.lines.some((l) => l.startsWith("WARN uploads: delivery failed")),
        "a failed upload",
        15_000,
      );
      expect(s3.objects.size).to.equal(0);
      expect(feedback.queued).to.equal(5);
      expect(readdirSync(uploadDir).filter((f) => f.endsWith(".msg"))).to.have.length(5);

      await s3.up();
      expect(await feedback.drained(20_000), log.lines.join("\n")).to.equal(true);
      await feedback.stop();
      expect(s3.objects.size).to.equal(5);
      for (const [i, result] of results.entries()) {
        const stored = s3.object(BUCKET, keyOf(result));
        expect(stored, keyOf(result)).to.not.equal(undefined);
        expect(stored!.body.equals(images[i]), "the original bytes").to.equal(true);
        expect(stored!.contentType).to.equal("image/jpeg");
        expect(stored!.metadata).to.deep.equal({
          "thing-name": "line-1",
          "image-name": `part-${i}.jpg`,
          "inspected-at": result.timestamp,
          "message-id": result.messageId,
          "model-name": "scratch-detector",
          "model-version": "fixture-1",
          reason: "below-max-score",
          detections: "1",
          "best-score": "0.55",
          scores: "0.55",
          classes: "scratch",
        });
      }
      expect(readdirSync(uploadDir).filter((f) => f.endsWith(".msg"))).to.deep.equal([]);
    });

    it("retries an endpoint that refuses (503) with backoff, and forgets an image only once it is stored", async () => {
      s3.failWith = 503;
      const log = memoryLog();
      const feedback = await openFeedback(fresh("uploads"), log);
      feedback.start();
      const result = resultFor("part-0.jpg", [0.9, 0.4], T0);
      expect((await feedback.consider(images[0], result)).sent).to.equal(true);
      await eventually(() => s3.requests.filter((r) => r.status === 503).length >= 2, "a retry", 15_000);
      expect(feedback.queued).to.equal(1);
      expect(log.lines.join("\n")).to.match(
        /uploads: delivery failed \(1x, 1 queued\): PutObject .* SlowDown \(HTTP 503\)/,
      );
      s3.failWith = undefined;
      expect(await feedback.drained(20_000)).to.equal(true);
      await feedback.stop();
      expect(s3.object(BUCKET, keyOf(result))?.metadata).to.include({ reason: "in-band", scores: "0.9,0.4" });
    });

    it("gives up on an upload that stalls past the request timeout and retries it", async () => {
      s3.hang = true;
      const log = memoryLog();
      const feedback = await openFeedback(fresh("uploads"), log, 300);
      feedback.start();
      const result = resultFor("part-0.jpg", [0.2], T0);
      await feedback.consider(images[0], result);
      await eventually(
        () => log.lines.some((l) => l.includes("delivery failed")),
        "the stalled upload to fail",
        15_000,
      );
      expect(log.lines.join("\n")).to.match(/PutObject .* failed: TimeoutError/);
      s3.hang = false;
      expect(await feedback.drained(20_000)).to.equal(true);
      await feedback.stop();
      expect(s3.object(BUCKET, keyOf(result))?.body.equals(images[0])).to.equal(true);
    });

    it("on stop cuts off an upload that hangs, and keeps the image for the next start", async () => {
      s3.hang = true;
      const uploadDir = fresh("uploads");
      const feedback = await openFeedback(uploadDir, memoryLog());
      feedback.start();
      const result = resultFor("part-0.jpg", [0.2], T0);
      await feedback.consider(images[0], result);
      await eventually(() => s3.stalled > 0, "the upload to reach the endpoint", 15_000);
      const started = Date.now();
      await feedback.stop();
      expect(Date.now() - started, "no waiting for the request timeout").to.be.below(5000);
      expect(readdirSync(uploadDir).filter((f) => f.endsWith(".msg"))).to.have.length(1);

      s3.hang = false;
      const restarted = await openFeedback(uploadDir, memoryLog());
      restarted.start();
      expect(await restarted.drained(20_000)).to.equal(true);
      await restarted.stop();
      expect(s3.object(BUCKET, keyOf(result))?.body.equals(images[0])).to.equal(true);
    });
  });

  describe("the sampling rule on the device", () => {
    const folderFeedback = (
      uploadDir: string,
      rule: UncertaintyRule,
      now: number,
      maxBytes = 64 << 20,
      log: Log = memoryLog(),
    ) =>
      Feedback.open({
        dir: uploadDir,
        maxBytes,
        rule,
        uploader: new FolderImageUploader(fresh("lake")),
        log,
        now: () => now,
      });

    it("queues nothing for a confident image", async () => {
      const feedback = await folderFeedback(fresh("uploads"), RULE, T0);
      expect(await feedback.consider(images[0], resultFor("a.jpg", [0.95], T0))).to.deep.equal({
        sent: false,
        dropped: 0,
      });
      expect(feedback.queued).to.equal(0);
    });

    it("keeps the hourly cap across a restart", async () => {
      const uploadDir = fresh("uploads");
      const capped = { ...RULE, maxPerHour: 2 };
      const first = await folderFeedback(uploadDir, capped, T0);
      const sent: boolean[] = [];
      for (let i = 0; i < 3; i++) sent.push((await first.consider(images[i], resultFor(`p${i}.jpg`, [], T0))).sent);
      expect(sent).to.deep.equal([true, true, false]);
      await first.stop();

      const restarted = await folderFeedback(uploadDir, capped, T0 + 10 * 60_000);
      expect((await restarted.consider(images[3], resultFor("p3.jpg", [], T0))).sent, "still capped").to.equal(false);
      await restarted.stop();
      const anHourLater = await folderFeedback(uploadDir, capped, T0 + 61 * 60_000);
      expect((await anHourLater.consider(images[3], resultFor("p3.jpg", [], T0))).sent).to.equal(true);
      expect(anHourLater.queued).to.equal(3);
    });

    it("says once that the cap holds images back, however confident the images in between", async () => {
      const log = memoryLog();
      const feedback = await folderFeedback(fresh("uploads"), { ...RULE, maxPerHour: 1 }, T0, 64 << 20, log);
      for (const [i, scores] of [[], [], [0.95], [], [0.99], []].entries()) {
        await feedback.consider(images[i % images.length], resultFor(`p${i}.jpg`, scores, T0));
      }
      await feedback.stop();
      expect(log.lines.filter((line) => line.includes("holding further ones back"))).to.have.length(1);
    });

    it("drops the oldest queued images when the upload outbox is full, and counts them", async () => {
      // Room for two images and their metadata.
      const feedback = await folderFeedback(fresh("uploads"), RULE, T0, images[0].length * 2 + 2000);
      const dropped: number[] = [];
      for (let i = 0; i < 5; i++) {
        dropped.push((await feedback.consider(images[0], resultFor(`p${i}.jpg`, [0.5], T0 + i))).dropped);
      }
      expect(dropped).to.deep.equal([0, 0, 1, 1, 1]);
      expect(feedback.queued).to.equal(2);
      expect(feedback.dropped).to.equal(3);
    });

    it("keeps S3 metadata small and ASCII whatever the names", () => {
      const result = resultFor(
        "Teil ä.jpg",
        Array.from({ length: 100 }, (_, i) => 0.69 - i * 0.001),
        T0,
      );
      result.classNames = ["kratzer-ä"];
      const metadata = uploadMetadata(result, "below-max-score");
      expect(metadata["image-name"]).to.equal("Teil%20%C3%A4.jpg");
      expect(metadata.scores.split(",")).to.have.length(20);
      expect(metadata.detections).to.equal("100");
      const size = Object.entries(metadata).reduce((sum, [k, v]) => sum + k.length + v.length, 0);
      expect(size, "S3 allows 2 KB of user metadata").to.be.below(2048);
      for (const value of Object.values(metadata)) expect(value).to.match(/^[\x20-\x7e]*$/);
    });
  });

  describe("on the detector", () => {
    let model: string;
    let camera: string;
    before(async () => {
      // One detection at 0.55: below maxScore 0.7, so every image is sent back.
      model = oneScratchDetector(dir, 0.55);
      camera = path.join(dir, "camera");
      mkdirSync(camera);
      for (const [i, image] of images.entries()) writeFileSync(path.join(camera, `part-${i}.jpg`), image);
    });

    const configFor = (flags: Record<string, string | boolean>) =>
      parseEdgeConfig(
        {
          model,
          imagesDir: camera,
          once: true,
          intervalSeconds: "0",
          broker: UNREACHABLE_BROKER,
          outboxDir: fresh("outbox"),
          uploadOutboxDir: fresh("upload-outbox"),
          // Results cannot be delivered here: a second is enough for the uploads, which can.
          shutdownTimeoutSeconds: "1",
          thingName: "line-1",
          ...flags,
        },
        {},
      );

    async function queuedResults(outboxDir: string) {
      const outbox = await Outbox.open<{ topic: string }>(outboxDir, { maxBytes: 1 << 30 });
      const messages: { topic: string; body: Record<string, unknown> }[] = [];
      for (let entry = await outbox.peek(); entry; entry = await outbox.peek()) {
        messages.push({ topic: entry.meta.topic, body: JSON.parse(entry.payload.toString()) });
        await outbox.remove(entry.id);
      }
      return messages;
    }

    it("closes the loop: images it sends back to a data lake folder are what FindUnlabeledImages selects next", async () => {
      const lake = fresh("lake");
      const config = configFor({ upload: lake });
      const log = memoryLog();
      expect(await (await EdgeApp.create(config, log)).run(), log.lines.join("\n")).to.equal(0);
      const results = (await queuedResults(config.outboxDir)).map((m) => m.body as unknown as InferenceResult);
      expect(results).to.have.length(5);
      for (const result of results) {
        expect(result.sentForLabeling).to.equal(true);
        expect(inferenceResultProblems(result)).to.deep.equal([]);
      }
      expect(log.lines.filter((l) => l.endsWith("queued, sent for labeling)"))).to.have.length(5);

      // The local data lake holds each original image at its contract key, with its metadata beside it.
      for (const result of results) {
        const file = path.join(lake, keyOf(result));
        const original = readFileSync(path.join(camera, result.image_name));
        expect(readFileSync(file).equals(original), result.image_name).to.equal(true);
        const sidecar = JSON.parse(readFileSync(`${file}.metadata.json`, "utf8"));
        expect(sidecar).to.deep.include({ contentType: "image/jpeg" });
        expect(sidecar.metadata).to.include({ "message-id": result.messageId, reason: "below-max-score" });
      }

      // The pipeline's next run: every file of the lake as an object, plus an image labeled earlier.
      const objects = new MemoryObjectStore();
      for (const file of await filesUnder(lake)) {
        objects.put(path.relative(lake, file).split(path.sep).join("/"), readFileSync(file));
      }
      objects.put("images/line-1/labeled-before.jpg", images[0]);
      const labels = new MemoryLabelStore([labelFor("images/line-1/labeled-before.jpg")]);
      const found = await findUnlabeledImages(
        { imagesPrefix: "images/", maxImages: 100, labelingJobName: "qi-dev-label-run-2" },
        { objects, labels, log: recordingLog() },
      );
      expect(found).to.include({ images: 6, labeled: 1, unlabeled: 5, selected: 5 });
      const selection = objects.json(found.selectionKey!) as string[];
      expect([...selection].sort()).to.deep.equal(results.map(keyOf).sort());
      for (const key of selection) expect(key.startsWith(deviceImagesPrefix("line-1"))).to.equal(true);
    });

    it("sends nothing back with uploads off, and says so in every result", async () => {
      const config = configFor({ shutdownTimeoutSeconds: "0" });
      const log = memoryLog();
      expect(await (await EdgeApp.create(config, log)).run()).to.equal(0);
      const results = await queuedResults(config.outboxDir);
      expect(results.map((m) => m.body.sentForLabeling)).to.deep.equal([false, false, false, false, false]);
      expect(existsSync(config.uploadOutboxDir), "no upload outbox").to.equal(false);
      expect(log.lines[0]).to.contain("sending images back: off");
    });

    it("reports images the full upload outbox dropped as an OUTBOX_DROPPED error", async () => {
      const sameSize = path.join(dir, "same-size-camera");
      mkdirSync(sameSize);
      for (let i = 0; i < 5; i++) writeFileSync(path.join(sameSize, `part-${i}.jpg`), images[0]);
      const config = configFor({ upload: fresh("lake"), imagesDir: sameSize, shutdownTimeoutSeconds: "0" });
      // Room for two images (the configurable minimum is 1 MiB, too much for a quick test).
      config.uploadMaxBytes = images[0].length * 2 + 2000;
      const log = memoryLog();
      const app = await EdgeApp.create(config, log, undefined, {
        target: "an unreachable bucket",
        put: async () => {
          throw new Error("unreachable");
        },
        close: () => {},
      });
      expect(await app.run()).to.equal(0);
      const errors = (await queuedResults(config.outboxDir)).filter((m) => m.body.code === "OUTBOX_DROPPED");
      expect(errors.length).to.be.greaterThan(0);
      expect(errors.at(-1)!.topic).to.equal("qualityinspection/scratch-detection/errors");
      expect(errors.at(-1)!.body.message).to.match(/^upload outbox full \(\d+ bytes\): dropped the 1 oldest images/);
      expect(errors.at(-1)!.body.droppedTotal).to.equal(3);
      expect(log.lines.join("\n")).to.contain("images still queued for upload");
    });

    describe("with a real broker while the bucket is unreachable", function () {
      let broker: Mosquitto;
      let subscriber: Subscriber;
      let s3: FakeS3;
      before(async function () {
        if (!MOSQUITTO) skipBecause(this, `${NO_MOSQUITTO}`);
        broker = await Mosquitto.create(path.join(dir, "broker"));
        await broker.start();
        subscriber = await Subscriber.connect(broker.port, "qualityinspection/scratch-detection/#", "feedback-tests");
        s3 = await FakeS3.start({ accessKeyId: CREDENTIALS.accessKeyId });
      });
      after(async () => {
        await subscriber?.close();
        await broker?.stop();
        await s3?.close();
      });

      it("publishes every result at once, and the images follow when the bucket is back", async () => {
        await s3.down();
        const config = configFor({
          upload: `s3://${BUCKET}`,
          uploadRegion: "eu-west-1",
          uploadEndpoint: s3.endpoint,
          broker: broker.url,
          thingName: "line-2",
          shutdownTimeoutSeconds: "2",
        });
        const uploader = () =>
          new S3ImageUploader({
            bucket: BUCKET,
            region: "eu-west-1",
            endpoint: config.uploadEndpoint,
            credentials: CREDENTIALS,
          });
        const log = memoryLog();
        expect(await (await EdgeApp.create(config, log, undefined, uploader())).run()).to.equal(0);
        const received = await subscriber.waitFor(
          (r) => r.filter((m) => m.body.thingName === "line-2").length >= 5,
          10_000,
        );
        const results = received
          .filter((m) => m.body.thingName === "line-2")
          .map((m) => m.body as unknown as InferenceResult);
        expect(results.map((r) => r.sentForLabeling)).to.deep.equal([true, true, true, true, true]);
        expect(s3.objects.size).to.equal(0);
        expect(log.lines.join("\n")).to.contain("5 images still queued for upload");

        // The next start uploads what the last one queued, before and alongside its own.
        await s3.up();
        const again = await EdgeApp.create(
          { ...config, shutdownTimeoutSeconds: 20 },
          memoryLog(),
          undefined,
          uploader(),
        );
        expect(await again.run()).to.equal(0);
        for (const result of results) {
          const stored = s3.object(BUCKET, keyOf(result));
          expect(stored, keyOf(result)).to.not.equal(undefined);
          expect(stored!.body.equals(readFileSync(path.join(camera, result.image_name)))).to.equal(true);
        }
        expect(s3.objects.size).to.equal(10);
      });
    });
  });
});

async function filesUnder(root: string): Promise<string[]> {
  const entries = await fs.readdir(root, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}
