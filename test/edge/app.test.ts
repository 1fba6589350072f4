import { mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { inferenceErrorProblems, inferenceResultProblems } from "../../contracts/inferenceMessages";
import { EdgeApp } from "../../edge/src/app";
import { parseEdgeConfig } from "../../edge/src/config";
import { Outbox } from "../../edge/src/outbox";
import { gradientJpeg } from "../harness/images";
import { tempDir, oneScratchDetector } from "../harness/modelFolders";
import { memoryLog } from "../fakes/memoryLog";

// Nothing listens on port 9 (discard): these runs never deliver, so everything stays in the outbox to inspect.
const UNREACHABLE = "mqtt://127.0.0.1:9";

describe("edge app without a broker", () => {
  const dir = tempDir("app");
  let model: string;
  let images: string;
  before(async () => {
    model = oneScratchDetector(dir, 0.9);
    images = path.join(dir, "images");
    mkdirSync(images);
    for (let i = 0; i < 8; i++) writeFileSync(path.join(images, `part-${i}.jpg`), await gradientJpeg(450, 300));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  async function queued(outboxDir: string) {
    const outbox = await Outbox.open<{ topic: string }>(outboxDir, { maxBytes: 1 << 30 });
    const messages: { topic: string; body: Record<string, unknown> }[] = [];
    for (let entry = await outbox.peek(); entry; entry = await outbox.peek()) {
      messages.push({ topic: entry.meta.topic, body: JSON.parse(entry.payload.toString()) });
      await outbox.remove(entry.id);
    }
    return { messages, dropped: outbox.dropped };
  }

  it("keeps every result on disk while it cannot deliver, in order, addressed to its topic", async () => {
    const outboxDir = path.join(dir, "outbox-keep");
    const config = parseEdgeConfig(
      {
        model,
        imagesDir: images,
        once: true,
        intervalSeconds: "0",
        broker: UNREACHABLE,
        outboxDir,
        shutdownTimeoutSeconds: "0",
      },
      {},
    );
    const log = memoryLog();
    expect(await (await EdgeApp.create(config, log)).run(), log.lines.join("\n")).to.equal(0);
    expect(log.lines.join("\n")).to.contain("8 messages still queued");
    const { messages } = await queued(outboxDir);
    expect(messages.map((m) => m.body.image_name)).to.deep.equal(Array.from({ length: 8 }, (_, i) => `part-${i}.jpg`));
    for (const m of messages) {
      expect(m.topic).to.equal("qualityinspection/scratch-detection");
      expect(inferenceResultProblems(m.body)).to.deep.equal([]);
    }
  });

  it("when the outbox is full, drops the oldest results and queues an OUTBOX_DROPPED error saying how many", async () => {
    const outboxDir = path.join(dir, "outbox-full");
    const config = parseEdgeConfig(
      {
        model,
        imagesDir: images,
        once: true,
        intervalSeconds: "0",
        broker: UNREACHABLE,
        outboxDir,
        shutdownTimeoutSeconds: "0",
      },
      {},
    );
    // Room for about three results (the configurable minimum is 64 KiB, too much for a quick test).
    config.outboxMaxBytes = 3000;
    const log = memoryLog();
    expect(await (await EdgeApp.create(config, log)).run(), log.lines.join("\n")).to.equal(0);
    const { messages, dropped } = await queued(outboxDir);
    expect(dropped).to.be.greaterThan(0);
    const notices = messages.filter((m) => m.body.code === "OUTBOX_DROPPED");
    expect(notices.length).to.be.greaterThan(0);
    expect(notices.at(-1)!.topic).to.equal("qualityinspection/scratch-detection/errors");
    expect(inferenceErrorProblems(notices.at(-1)!.body)).to.deep.equal([]);
    // Counted when the notice was queued; queueing the notice may itself drop one more.
    expect(notices.at(-1)!.body.droppedTotal).to.be.within(dropped - 1, dropped);
    // The newest result survived.
    expect(messages.map((m) => m.body.image_name)).to.include("part-7.jpg");
    expect(log.lines.join("\n")).to.match(/WARN outbox full \(3000 bytes\): dropped the \d+ oldest messages/);
  });

  it("waits for a camera folder that disappears instead of stopping, and goes on when it is back", async () => {
    const camera = path.join(dir, "camera");
    mkdirSync(camera);
    writeFileSync(path.join(camera, "part-a.jpg"), await gradientJpeg(450, 300));
    const outboxDir = path.join(dir, "outbox-camera");
    const config = parseEdgeConfig(
      {
        model,
        imagesDir: camera,
        intervalSeconds: "0.05",
        broker: UNREACHABLE,
        outboxDir,
        shutdownTimeoutSeconds: "0",
      },
      {},
    );
    const log = memoryLog();
    const edge = await EdgeApp.create(config, log);
    const done = edge.run();
    const inspected = () => log.lines.filter((l) => l.startsWith("part-a.jpg")).length;
    const waitFor = async (condition: () => boolean, what: string) => {
      const deadline = Date.now() + 10_000;
      while (!condition()) {
        if (Date.now() > deadline) throw new Error(`no ${what} in:\n${log.lines.join("\n")}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    await waitFor(() => inspected() > 0, "inspection");
    renameSync(camera, `${camera}-away`);
    await waitFor(() => log.lines.some((l) => l.startsWith("ERROR cannot list")), "error");
    const before = inspected();
    renameSync(`${camera}-away`, camera);
    await waitFor(() => inspected() > before, "inspection after the folder came back");
    edge.stop();
    expect(await done).to.equal(0);
  });
});
