import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { DEFAULT_RESULT_TOPIC, errorTopicOf } from "../../contracts/inferenceMessages";
import { startViewer, Viewer } from "../../viewer";
import { BrokerStatus } from "../../viewer/src/broker";
import { ResultEntry, Snapshot, Totals } from "../../viewer/src/state";
import { IMAGE_CONTENT_TYPES } from "../../lib/imageFiles";
import { AedesBroker } from "../processes/aedesBroker";
import { gradientJpeg } from "../harness/images";
import { freePort } from "../processes/mosquitto";
import { EventStream } from "../harness/sse";
import { deviceError, result } from "../harness/viewerMessages";
import { eventually } from "../harness/wait";
import { failureOf } from "../harness/failure";

const TOPIC = DEFAULT_RESULT_TOPIC;
const ERRORS = errorTopicOf(TOPIC);

/** GET with the path sent exactly as written (no URL normalisation on the way). */
function rawGet(base: string, rawPath: string, method = "GET") {
  const { hostname, port } = new URL(base);
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
    const request = http.request({ hostname, port, path: rawPath, method }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (c: Buffer) => chunks.push(c));
      response.on("end", () =>
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }),
      );
    });
    request.on("error", reject);
    request.end();
  });
}

const subscribed = (broker: AedesBroker) => () => broker.subscribers(TOPIC) === 1 && broker.subscribers(ERRORS) === 1;

describe("viewer server (real HTTP, real MQTT broker: aedes)", function () {
  const dir = mkdtempSync(path.join(os.tmpdir(), "qi-viewer-server-"));
  const images = path.join(dir, "camera");
  let broker: AedesBroker;
  let viewer: Viewer;
  let jpeg: Buffer;
  const streams: EventStream[] = [];
  const open = async (url: string) => {
    const stream = await EventStream.open(`${url}events`);
    streams.push(stream);
    return stream;
  };

  before(async () => {
    mkdirSync(images);
    jpeg = await gradientJpeg(450, 300);
    writeFileSync(path.join(images, "part-001.jpg"), jpeg);
    writeFileSync(path.join(images, "notes.txt"), "not an image");
    writeFileSync(path.join(images, ".hidden.jpg"), jpeg);
    mkdirSync(path.join(images, "folder.jpg"));
    writeFileSync(path.join(dir, "outside.jpg"), jpeg);
    symlinkSync(path.join(dir, "outside.jpg"), path.join(images, "linked.jpg"));
    broker = await AedesBroker.start();
    viewer = await startViewer({ broker: broker.url, imagesDir: images, port: 0 });
    await eventually(() => viewer.broker().state === "connected", "the viewer's subscriptions");
  });

  after(async () => {
    for (const stream of streams) stream.close();
    await viewer?.close();
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("serves the page, its script and its stylesheet under a strict content security policy", async () => {
    const page = await rawGet(viewer.url, "/");
    expect(page.status).to.equal(200);
    expect(page.headers["content-type"]).to.equal("text/html; charset=utf-8");
    expect(page.body.toString()).to.contain('<script type="module" src="viewer.js"></script>');
    expect(page.headers["content-security-policy"]).to.contain("script-src 'self'");
    expect((await rawGet(viewer.url, "/viewer.js")).headers["content-type"]).to.match(/^text\/javascript/);
    expect((await rawGet(viewer.url, "/viewer.css")).headers["content-type"]).to.match(/^text\/css/);
    expect((await rawGet(viewer.url, "/", "POST")).status).to.equal(405);
    expect((await rawGet(viewer.url, "/index.html/../package.json")).status).to.equal(404);
  });

  it("streams a snapshot first, then every result, problem and repeat as it arrives", async () => {
    const stream = await open(viewer.url);
    const snapshot = await stream.next<Snapshot & { broker: BrokerStatus }>("snapshot");
    expect(stream.events[0].event).to.equal("snapshot");
    expect(snapshot.broker.state).to.equal("connected");
    expect(snapshot.settings).to.deep.include({ topic: TOPIC, errorTopic: ERRORS, imagesServed: true });

    const message = result("part-001.jpg", [{ score: 0.8, box: [10, 20, 110, 70] }], { seed: "stream" });
    await broker.publish(TOPIC, message);
    const { entry, totals } = await stream.next<{ entry: ResultEntry; totals: Totals }>("result");
    expect(entry).to.deep.include({ messageId: message.messageId, imageName: "part-001.jpg", passed: false });
    expect(totals.inspected).to.equal(snapshot.totals.inspected + 1);

    await broker.publish(TOPIC, message);
    await stream.next("duplicate", (d: { messageId: string }) => d.messageId === message.messageId);
    await broker.publish(ERRORS, deviceError("INFERENCE_FAILED", "the model failed", "part-001.jpg"));
    await stream.next("problem", (d: { entry: { kind: string } }) => d.entry.kind === "deviceError");
    await broker.publish(TOPIC, "[]");
    await stream.next("problem", (d: { entry: { kind: string } }) => d.entry.kind === "invalid");

    // A page that connects now gets all of it in its snapshot.
    const later = await (await open(viewer.url)).next<Snapshot>("snapshot");
    expect(later.results[0].messageId).to.equal(message.messageId);
    expect(later.problems.map((p) => p.kind).slice(0, 2)).to.deep.equal(["invalid", "deviceError"]);
    expect(later.totals.duplicates).to.equal(snapshot.totals.duplicates + 1);
  });

  it("serves the images in its folder, and nothing else", async () => {
    const image = await rawGet(viewer.url, "/images/part-001.jpg");
    expect(image.status).to.equal(200);
    expect(image.headers["content-type"]).to.equal("image/jpeg");
    expect(image.headers["cache-control"]).to.equal("no-store");
    expect(image.body.equals(jpeg)).to.equal(true);
    // A link placed in the camera folder is followed, as the detector follows it.
    expect((await rawGet(viewer.url, "/images/linked.jpg")).status).to.equal(200);

    for (const attempt of [
      "/images/..%2Foutside.jpg",
      "/images/%2E%2E%2Foutside.jpg",
      "/images/../outside.jpg",
      "/images/..%5Coutside.jpg",
      "/images/%2Fetc%2Fpasswd",
      `/images/${encodeURIComponent(path.join(dir, "outside.jpg"))}`,
      "/images/part-001.jpg%00.txt",
      "/images/notes.txt",
      "/images/.hidden.jpg",
      "/images/folder.jpg",
      "/images/missing.jpg",
      "/images/",
    ]) {
      const response = await rawGet(viewer.url, attempt);
      expect(response.status, attempt).to.equal(404);
      expect(response.body.toString(), attempt).to.equal("not found\n");
    }
    expect((await rawGet(viewer.url, "/images/%E0%A4%A.jpg")).status).to.equal(400);
  });

  it("serves every kind of image file the detector reads, with its content type", async () => {
    for (const [extension, type] of Object.entries(IMAGE_CONTENT_TYPES)) {
      writeFileSync(path.join(images, `kind${extension.toUpperCase()}`), jpeg);
      const response = await rawGet(viewer.url, `/images/kind${extension.toUpperCase()}`);
      expect(response.status, extension).to.equal(200);
      expect(response.headers["content-type"], extension).to.equal(type);
    }
    expect(Object.keys(IMAGE_CONTENT_TYPES)).to.include.members([".jpg", ".jpeg", ".png", ".bmp"]);
  });

  it("without an images folder serves no images and tells the page so", async () => {
    const plain = await startViewer({ broker: broker.url, port: 0 });
    try {
      expect((await rawGet(plain.url, "/images/part-001.jpg")).status).to.equal(404);
      const snapshot = await (await open(plain.url)).next<Snapshot>("snapshot");
      expect(snapshot.settings.imagesServed).to.equal(false);
    } finally {
      await plain.close();
    }
  });

  it("reconnects after a broker restart, subscribes again and goes on receiving", async () => {
    const stream = await open(viewer.url);
    await broker.stop();
    const down = await stream.next<BrokerStatus>("broker", (s) => s.state === "reconnecting");
    expect(down.detail).to.be.a("string").and.not.equal("");
    await broker.start();
    await stream.next<BrokerStatus>("broker", (s) => s.state === "connected");
    await eventually(subscribed(broker), "the subscriptions renewed", 30_000);
    const message = result("after-restart.jpg", [], { seed: "after-restart" });
    await broker.publish(TOPIC, message);
    await stream.next("result", (d: { entry: ResultEntry }) => d.entry.messageId === message.messageId);
  });

  it("keeps trying a broker that is not up yet, saying why, and connects once it is", async () => {
    const port = await freePort();
    const late = await startViewer({ broker: `mqtt://127.0.0.1:${port}`, port: 0 });
    let lateBroker: AedesBroker | undefined;
    try {
      const stream = await open(late.url);
      const waiting = await stream.next<BrokerStatus>("broker", (s) => s.state === "connecting" && !!s.detail);
      expect(waiting.detail).to.match(/^attempt \d+ failed: .*AWS_IO_SOCKET_CONNECTION_REFUSED.*; next in \d/);
      lateBroker = await AedesBroker.start(port);
      await stream.next<BrokerStatus>("broker", (s) => s.state === "connected", 30_000);
      await eventually(subscribed(lateBroker), "the late viewer's subscriptions");
      expect(late.broker().state).to.equal("connected");
    } finally {
      await late.close();
      await lateBroker?.stop();
    }
  });

  it("says which address it cannot listen on, and frees its port when closed", async () => {
    const { port } = new URL(viewer.url);
    const error = await failureOf(startViewer({ broker: broker.url, port }));
    expect(error.message).to.match(new RegExp(`^the viewer cannot listen on 127.0.0.1:${port}: .*EADDRINUSE`));

    const other = await startViewer({ broker: broker.url, port: 0 });
    const otherPort = Number(new URL(other.url).port);
    await other.close();
    expect(other.broker().state).to.equal("stopped");
    await rawGet(other.url, "/").then(
      () => expect.fail("the closed viewer still answers"),
      (e: NodeJS.ErrnoException) => expect(e.code).to.equal("ECONNREFUSED"),
    );
    const again = await startViewer({ broker: broker.url, port: otherPort });
    await again.close();
  });
});
