import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { inferenceResultProblems } from "../../contracts/inferenceMessages";
import { EdgeApp } from "../../edge/src/app";
import { parseEdgeConfig } from "../../edge/src/config";
import { GreengrassIpcTransport } from "../../edge/src/transports/greengrassIpc";
import { FakeNucleus } from "../fakes/fakeNucleus";
import { gradientJpeg } from "../harness/images";
import { tempDir, oneScratchDetector } from "../harness/modelFolders";
import { memoryLog } from "../fakes/memoryLog";
import { eventually } from "../harness/wait";

const TOPIC = "qualityinspection/scratch-detection";

describe("edge Greengrass IPC transport against a stand-in nucleus (event-stream RPC over a Unix socket)", () => {
  const dir = tempDir("ipc");
  const socketPath = path.join(dir, "ipc.socket");
  const token = "svcuid-secret";
  const saved = { socket: process.env.AWS_GG_NUCLEUS_DOMAIN_SOCKET_FILEPATH_FOR_COMPONENT, svcuid: process.env.SVCUID };
  let nucleus: FakeNucleus;

  before(async () => {
    nucleus = await FakeNucleus.start(socketPath, token);
    // greengrasscoreipc reads these, as Greengrass sets them for every component process.
    process.env.AWS_GG_NUCLEUS_DOMAIN_SOCKET_FILEPATH_FOR_COMPONENT = socketPath;
    process.env.SVCUID = token;
  });
  after(async () => {
    for (const [key, value] of [
      ["AWS_GG_NUCLEUS_DOMAIN_SOCKET_FILEPATH_FOR_COMPONENT", saved.socket],
      ["SVCUID", saved.svcuid],
    ] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    await nucleus.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("connects with the component's token and publishes with QoS 1", async () => {
    const transport = new GreengrassIpcTransport({ ackTimeoutSeconds: 5, log: memoryLog() });
    transport.start();
    try {
      await eventually(() => transport.connected, "the IPC connection", 5000);
      await transport.publish(`${TOPIC}/errors`, Buffer.from('{"hello":1}'));
      expect(nucleus.connections.at(-1)).to.equal(token);
      expect(nucleus.published.at(-1)).to.deep.include({ topicName: `${TOPIC}/errors`, qos: "1" });
      expect(nucleus.published.at(-1)?.payload.toString()).to.equal('{"hello":1}');
    } finally {
      await transport.stop();
    }
  });

  it("runs the detector over IPC: refusals are retried, a nucleus restart loses nothing, order holds", async () => {
    const model = oneScratchDetector(dir, 0.9);
    const images = path.join(dir, "images");
    mkdirSync(images);
    const names = Array.from({ length: 6 }, (_, i) => `part-${i}.jpg`);
    for (const name of names) writeFileSync(path.join(images, name), await gradientJpeg(450, 300));
    const log = memoryLog();
    const config = parseEdgeConfig(
      {
        model,
        imagesDir: images,
        once: true,
        intervalSeconds: "0.15",
        outboxDir: path.join(dir, "outbox"),
        thingName: "ipc-thing",
        shutdownTimeoutSeconds: "20",
      },
      { AWS_GG_NUCLEUS_DOMAIN_SOCKET_FILEPATH_FOR_COMPONENT: socketPath, SVCUID: token },
    );
    expect(config.transport).to.equal("greengrass-ipc");
    const before = nucleus.published.length;
    nucleus.refuseNext = 2;
    nucleus.restartOnPublish = 3;
    const edge = await EdgeApp.create(config, log);
    expect(await edge.run(), log.lines.join("\n")).to.equal(0);

    const delivered = nucleus.published.slice(before);
    const results = delivered.filter((p) => p.topicName === TOPIC).map((p) => JSON.parse(p.payload.toString()));
    expect([...new Set(results.map((r) => r.image_name))]).to.deep.equal(names);
    // The result whose answer the restart swallowed was sent again: a repeat, with the same message id.
    expect(results).to.have.length(names.length + 1);
    expect(results[2].messageId).to.equal(results[3].messageId);
    for (const result of results) expect(inferenceResultProblems(result)).to.deep.equal([]);
    expect(log.lines.join("\n"))
      .to.contain("delivery failed")
      .and.contain("the nucleus refused: not authorized to publish");
    expect(
      log.lines.filter((l) => l === "connected to the Greengrass nucleus (IPC)").length,
      log.lines.join("\n"),
    ).to.be.at.least(2);
  });
});
