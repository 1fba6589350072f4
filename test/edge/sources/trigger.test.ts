import { once } from "node:events";
import { createServer, Server } from "node:http";
import { AddressInfo } from "node:net";
import { rmSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { inferenceErrorProblems, inferenceResultProblems } from "../../../contracts/inferenceMessages";
import { EdgeApp } from "../../../edge/src/app";
import { parseEdgeConfig } from "../../../edge/src/config";
import { memoryLog } from "../../fakes/memoryLog";
import { gradientJpeg } from "../../harness/images";
import { oneScratchDetector, tempDir } from "../../harness/modelFolders";
import { skipBecause } from "../../harness/skip";
import { MOSQUITTO, Mosquitto, NO_MOSQUITTO, Subscriber } from "../../processes/mosquitto";

const TOPIC = "qualityinspection/scratch-detection";
const TRIGGERS = "factory/line-1/part-present";

describe("triggered capture over a real MQTT broker (mosquitto) from a real HTTP camera", function () {
  this.timeout(60_000);
  const dir = tempDir("trigger");
  let broker: Mosquitto;
  let camera: Server;
  let cameraUp = true;
  let subscriber: Subscriber;
  let app: EdgeApp;
  let running: Promise<number>;
  const log = memoryLog();

  before(async function () {
    if (!MOSQUITTO) skipBecause(this, NO_MOSQUITTO);
    const jpeg = await gradientJpeg(320, 240, { x: 40, y: 40, w: 60, h: 8 });
    camera = createServer((_req, res) => (cameraUp ? res.writeHead(200).end(jpeg) : res.writeHead(503).end()));
    camera.listen(0, "127.0.0.1");
    await once(camera, "listening");
    broker = await Mosquitto.create(path.join(dir, "broker"));
    await broker.start();
    subscriber = await Subscriber.connect(broker.port, `${TOPIC}/#`, "trigger-tests");
    const config = parseEdgeConfig(
      {
        model: oneScratchDetector(dir, 0.9),
        source: "http-snapshot",
        camera: `http://127.0.0.1:${(camera.address() as AddressInfo).port}/snapshot.jpg`,
        triggerTopic: TRIGGERS,
        triggerTimeoutSeconds: "3",
        intervalSeconds: "0",
        broker: `mqtt://127.0.0.1:${broker.port}`,
        outboxDir: path.join(dir, "outbox"),
        shutdownTimeoutSeconds: "2",
      },
      {},
    );
    app = await EdgeApp.create(config, log);
    running = app.run();
    // The detector subscribes once connected; a trigger before that would be lost (QoS 1, clean session).
    const deadline = Date.now() + 20_000;
    while (!log.lines.some((l) => l.startsWith("connected to"))) {
      if (Date.now() > deadline) throw new Error(log.lines.join("\n"));
      await new Promise((r) => setTimeout(r, 50));
    }
    await new Promise((r) => setTimeout(r, 300));
  });

  after(async () => {
    app?.stop();
    await running;
    await subscriber?.close();
    await broker?.stop();
    camera?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("inspects one frame per trigger; the result carries the part, line and station and names its source", async () => {
    await subscriber.publish(TRIGGERS, { partId: "P-1001", line: "L1", station: "S3" });
    await subscriber.publish(TRIGGERS, { partId: "P-1002" });
    const received = await subscriber.waitFor((r) => r.filter((m) => m.topic === TOPIC).length >= 2, 20_000);
    const results = received.filter((m) => m.topic === TOPIC).map((m) => m.body);
    expect(results.map((r) => [r.partId, r.line, r.station])).to.deep.equal([
      ["P-1001", "L1", "S3"],
      ["P-1002", undefined, undefined],
    ]);
    for (const result of results) {
      expect(result).to.include({ source: "http-snapshot", schemaVersion: 1, schemaMinor: 1 });
      expect(inferenceResultProblems(result, { exact: true })).to.deep.equal([]);
      expect(Date.parse(String(result.capturedAt))).to.be.at.most(Date.parse(String(result.timestamp)));
    }
    expect(log.lines.filter((l) => l.startsWith("part P-1001 http-snapshot-"))).to.have.length(1);
  });

  it("reports a trigger that gets no frame in time as NO_FRAME, naming the part", async () => {
    cameraUp = false;
    await subscriber.publish(TRIGGERS, { partId: "P-2001", station: "S3" });
    const received = await subscriber.waitFor((r) => r.some((m) => m.body.code === "NO_FRAME"), 20_000);
    const error = received.find((m) => m.body.code === "NO_FRAME")!;
    expect(error.topic).to.equal(`${TOPIC}/errors`);
    expect(error.body).to.include({ partId: "P-2001", source: "http-snapshot" });
    expect(String(error.body.message)).to.match(
      /^no frame for part P-2001 within 3 s from http-snapshot: camera .* 503/,
    );
    expect(inferenceErrorProblems(error.body, { exact: true })).to.deep.equal([]);
    cameraUp = true;
  });

  it("ignores a message that is not a trigger, saying so once", async () => {
    const before = subscriber.received.length;
    for (const bad of [{ part: "x" }, "not json", { partId: "" }]) await subscriber.publish(TRIGGERS, bad);
    await subscriber.publish(TRIGGERS, { partId: "P-3001" });
    await subscriber.waitFor((r) => r.slice(before).some((m) => m.body.partId === "P-3001"), 20_000);
    expect(subscriber.received.slice(before)).to.have.length(1);
    expect(log.lines.filter((l) => l.startsWith(`WARN ignoring a message on ${TRIGGERS}`))).to.have.length(1);
  });
});
