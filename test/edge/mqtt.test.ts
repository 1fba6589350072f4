import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { inferenceErrorProblems, inferenceResultProblems } from "../../contracts/inferenceMessages";
import { EdgeApp } from "../../edge/src/app";
import { EdgeConfigField, parseEdgeConfig } from "../../edge/src/config";
import { Log } from "../../edge/src/log";
import { gradientJpeg } from "../harness/images";
import {
  makeCertificates,
  MOSQUITTO,
  Mosquitto,
  NO_MOSQUITTO,
  Received,
  Subscriber,
  freePort,
} from "../processes/mosquitto";
import { tempDir, oneScratchDetector } from "../harness/modelFolders";
import { memoryLog } from "../fakes/memoryLog";
import { skipBecause } from "../harness/skip";

const TOPIC = "qualityinspection/scratch-detection";

const results = (received: Received[]) => received.filter((r) => r.topic === TOPIC);
const firstArrivalOrder = (received: Received[]) => [
  ...new Set(results(received).map((r) => String(r.body.image_name))),
];

describe("edge detector over a real MQTT broker (mosquitto)", function () {
  const dir = tempDir("mqtt");
  let broker: Mosquitto;
  let model: string;
  let images: string[];
  const subscribers: Subscriber[] = [];

  before(async function () {
    if (!MOSQUITTO) skipBecause(this, `${NO_MOSQUITTO}`);
    model = oneScratchDetector(dir, 0.9);
    const folder = path.join(dir, "images");
    mkdirSync(folder);
    images = [];
    for (let i = 0; i < 12; i++) {
      const name = `part-${String(i).padStart(3, "0")}.jpg`;
      writeFileSync(path.join(folder, name), await gradientJpeg(450, 300, { x: 10 + i * 20, y: 40, w: 30, h: 8 }));
      images.push(name);
    }
    broker = await Mosquitto.create(path.join(dir, "broker"));
    await broker.start();
  });

  after(async () => {
    await Promise.all(subscribers.map((s) => s.close()));
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** `<topic>/#` matches the result topic itself and its errors sub-topic. */
  async function subscribe(name: string): Promise<Subscriber> {
    const subscriber = await Subscriber.connect(broker.port, `${TOPIC}/#`, name);
    subscribers.push(subscriber);
    return subscriber;
  }

  // Apps still running when a test fails are stopped, so nothing keeps the test process alive.
  const running: { edge: EdgeApp; done: Promise<number> }[] = [];
  function start(edge: EdgeApp): Promise<number> {
    const done = edge.run();
    running.push({ edge, done });
    return done;
  }
  afterEach(async () => {
    for (const { edge } of running) edge.stop();
    await Promise.allSettled(running.splice(0).map((r) => r.done));
  });

  function app(flags: Partial<Record<EdgeConfigField, string | boolean>>, log: Log) {
    return EdgeApp.create(
      parseEdgeConfig(
        {
          model,
          broker: broker.url,
          thingName: "test-thing",
          outboxDir: path.join(dir, `outbox-${Math.random()}`),
          ...flags,
        },
        {},
      ),
      log,
    );
  }

  it("publishes one schema-valid result per image, in order, and an error for a corrupt JPEG", async () => {
    const folder = path.join(dir, "mixed");
    mkdirSync(folder);
    for (const name of images.slice(0, 3)) writeFileSync(path.join(folder, name), await gradientJpeg(450, 300));
    writeFileSync(path.join(folder, "part-001b.jpg"), Buffer.from("not a jpeg at all"));
    writeFileSync(path.join(folder, "notes.txt"), "not an image, not inspected");
    const subscriber = await subscribe("valid");
    const log = memoryLog();

    const edge = await app({ imagesDir: folder, once: true, intervalSeconds: "0" }, log);
    expect(await start(edge), log.lines.join("\n")).to.equal(0);

    const received = await subscriber.waitFor((r) => r.length >= 4, 10_000);
    expect(results(received).map((r) => r.body.image_name)).to.deep.equal(images.slice(0, 3));
    for (const { body } of results(received)) {
      expect(inferenceResultProblems(body)).to.deep.equal([]);
      expect(body).to.include({
        thingName: "test-thing",
        modelVersion: "fixture-1",
        imageWidth: 450,
        imageHeight: 300,
      });
    }
    const errors = received.filter((r) => r.topic === `${TOPIC}/errors`);
    expect(errors).to.have.length(1);
    const [error] = errors;
    expect(inferenceErrorProblems(error.body)).to.deep.equal([]);
    expect(error.body).to.include({ code: "IMAGE_UNREADABLE", image_name: "part-001b.jpg" });
    expect(log.lines.filter((l) => l.startsWith("part-"))).to.have.length(3);
  });

  it("queues results while the broker is down and delivers all of them, in order, after it restarts", async () => {
    const subscriber = await subscribe("restart");
    const log = memoryLog();
    const outboxDir = path.join(dir, "outbox-restart");
    const edge = await app(
      {
        imagesDir: path.join(dir, "images"),
        once: true,
        intervalSeconds: "0.1",
        outboxDir,
        shutdownTimeoutSeconds: "30",
      },
      log,
    );
    const done = start(edge);

    await subscriber.waitFor((r) => results(r).length >= 3, 20_000);
    await subscriber.disconnect();
    await broker.stop();
    // While the broker is away, results pile up on disk.
    const deadline = Date.now() + 10_000;
    while (readdirSync(outboxDir).filter((f) => f.endsWith(".msg")).length < 3) {
      if (Date.now() > deadline) throw new Error(`nothing queued while the broker was down:\n${log.lines.join("\n")}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    await broker.start();
    await subscriber.reconnect();

    expect(await done, log.lines.join("\n")).to.equal(0);
    const received = await subscriber.waitFor((r) => firstArrivalOrder(r).length >= images.length, 20_000);
    expect(firstArrivalOrder(received)).to.deep.equal(images);
    for (const { body } of results(received)) expect(inferenceResultProblems(body)).to.deep.equal([]);
    expect(readdirSync(outboxDir).filter((f) => f.endsWith(".msg"))).to.deep.equal([]);
    expect(log.lines.some((l) => l.startsWith("WARN disconnected"))).to.equal(true);
  });

  it("connects to a mutual-TLS listener with a client certificate (the IoT Core path)", async function () {
    const certificates = makeCertificates(path.join(dir, "pki"));
    if (!certificates) skipBecause(this, "openssl is not installed");
    const tlsBroker = await Mosquitto.create(path.join(dir, "tls-broker"), {
      port: await freePort(),
      ca: certificates.ca,
      ...certificates.server,
    });
    try {
      await tlsBroker.start();
      const subscriber = await Subscriber.connect(tlsBroker.port, TOPIC, "tls-results");
      subscribers.push(subscriber);
      const log = memoryLog();
      const folder = path.join(dir, "tls-images");
      mkdirSync(folder);
      writeFileSync(path.join(folder, "part-tls.jpg"), await gradientJpeg(450, 300));
      const edge = await EdgeApp.create(
        parseEdgeConfig(
          {
            model,
            imagesDir: folder,
            once: true,
            broker: `mqtts://localhost:${tlsBroker.tls!.port}`,
            cert: certificates.client.cert,
            key: certificates.client.key,
            ca: certificates.ca,
            thingName: "tls-thing",
            outboxDir: path.join(dir, "outbox-tls"),
          },
          {},
        ),
        log,
      );
      expect(await start(edge), log.lines.join("\n")).to.equal(0);
      const [result] = await subscriber.waitFor((r) => r.length >= 1, 10_000);
      expect(result.body).to.include({ image_name: "part-tls.jpg", thingName: "tls-thing" });
      expect(log.lines.join("\n")).to.contain(`connected to mqtts://localhost:${tlsBroker.tls!.port} as tls-thing`);
    } finally {
      await tlsBroker.stop();
    }
  });
});
