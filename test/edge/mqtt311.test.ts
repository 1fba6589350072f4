import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { inferenceResultProblems } from "../../contracts/inferenceMessages";
import { EdgeApp } from "../../edge/src/app";
import { EdgeConfigError, parseEdgeConfig } from "../../edge/src/config";
import { BrokerMessage, EmbeddedBroker } from "../../offline/broker";
import { gradientJpeg } from "../harness/images";
import { tempDir, oneScratchDetector } from "../harness/modelFolders";
import { freePort } from "../processes/mosquitto";
import { memoryLog } from "../fakes/memoryLog";
import { eventually } from "../harness/wait";

const TOPIC = "qualityinspection/scratch-detection";

describe("edge detector over MQTT 3.1.1 (aedes, the broker npm start embeds)", function () {
  const dir = tempDir("mqtt311");
  let model: string;
  let images: string;
  const names: string[] = [];

  before(async () => {
    model = oneScratchDetector(dir, 0.9);
    images = path.join(dir, "images");
    mkdirSync(images);
    for (let i = 0; i < 4; i++) {
      names.push(`part-${i}.jpg`);
      writeFileSync(path.join(images, names[i]), await gradientJpeg(450, 300, { x: 20 + i * 30, y: 40, w: 30, h: 8 }));
    }
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const config = (port: number) =>
    parseEdgeConfig(
      {
        model,
        imagesDir: images,
        broker: `mqtt://127.0.0.1:${port}`,
        mqttVersion: "3.1.1",
        once: true,
        intervalSeconds: "0",
        thingName: "line-1",
        outboxDir: path.join(dir, `outbox-${port}`),
        shutdownTimeoutSeconds: "20",
      },
      {},
    );

  it("keeps retrying its first connection until the broker is up, then delivers every result, valid and in order", async () => {
    const port = await freePort();
    const log = memoryLog();
    const app = await EdgeApp.create(config(port), log);
    const done = app.run();
    // The detector inspects and queues while nothing listens on the port yet.
    await eventually(
      () => log.lines.some((l) => l.startsWith("WARN cannot connect")),
      () => `a connection warning; the log so far:\n${log.lines.join("\n")}`,
      10_000,
    );
    const broker = await EmbeddedBroker.start(port);
    const received: BrokerMessage[] = [];
    broker.onMessage((m) => received.push(m));
    try {
      expect(await done, log.lines.join("\n")).to.equal(0);
      const results = received.filter((m) => m.topic === TOPIC).map((m) => JSON.parse(m.payload.toString("utf8")));
      expect(results.map((r) => r.image_name)).to.deep.equal(names);
      for (const result of results) expect(inferenceResultProblems(result)).to.deep.equal([]);
      expect(received.every((m) => m.clientId === "line-1")).to.equal(true);
      expect(log.lines).to.include(`connected to mqtt://127.0.0.1:${port} as line-1 (MQTT 3.1.1)`);
    } finally {
      await broker.stop();
    }
  });

  it("refuses a protocol version it does not speak, naming the field", () => {
    expect(() => parseEdgeConfig({ model, imagesDir: images, mqttVersion: "4" }, {}))
      .to.throw(EdgeConfigError)
      .with.property("message")
      .that.contains('--mqtt-version must be 5 or 3.1.1 (got "4")');
  });
});
