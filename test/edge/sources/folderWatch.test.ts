import { appendFileSync, mkdirSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { EdgeApp } from "../../../edge/src/app";
import { parseEdgeConfig } from "../../../edge/src/config";
import { Outbox } from "../../../edge/src/outbox";
import { FolderWatchSource, stableMessageId } from "../../../edge/src/sources/folderWatch";
import { Frame, isFrame, Pull } from "../../../edge/src/sources/source";
import { memoryLog } from "../../fakes/memoryLog";
import { gradientJpeg } from "../../harness/images";
import { oneScratchDetector, tempDir } from "../../harness/modelFolders";

const signal = new AbortController().signal;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const asFrame = (pull: Pull): Frame => {
  if (!isFrame(pull)) throw new Error(`expected a frame, got ${JSON.stringify(pull)}`);
  return pull;
};

describe("folder-watch source", () => {
  const dir = tempDir("watch");
  let jpeg: Buffer;
  before(async () => {
    jpeg = await gradientJpeg(160, 120);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const fresh = (name: string) => {
    const folder = path.join(dir, name);
    mkdirSync(folder, { recursive: true });
    return folder;
  };
  const source = (folder: string, options: { retain?: number; settleMs?: number; delete?: boolean } = {}) => {
    const log = memoryLog();
    const watch = new FolderWatchSource({
      dir: folder,
      settleMs: options.settleMs ?? 300,
      afterInspection: options.delete ? "delete" : "move",
      retain: options.retain ?? 100,
      thingName: "line-1",
      log,
    });
    return Object.assign(watch, { log });
  };

  it("waits for a file being written until its size holds still, then hands it out whole, once", async () => {
    const folder = fresh("mid-write");
    const watch = source(folder);
    writeFileSync(path.join(folder, "part.jpg"), jpeg.subarray(0, 500));
    expect(await watch.next(signal)).to.deep.equal({ idle: `1 images in ${folder} still being written` });
    await sleep(150);
    appendFileSync(path.join(folder, "part.jpg"), jpeg.subarray(500));
    expect(await watch.next(signal)).to.have.property("idle");
    await sleep(350);
    const frame = asFrame(await watch.next(signal));
    expect(frame.name).to.equal("part.jpg");
    expect(Buffer.compare(await frame.read(), jpeg)).to.equal(0);
    await frame.settle!("inspected");
    expect(await watch.next(signal)).to.deep.equal({ idle: `no new images in ${folder}` });
    expect(readdirSync(path.join(folder, "processed"))).to.have.length(1);
    expect(readdirSync(path.join(folder, "processed"))[0]).to.match(/^\d{8}T\d{9}Z-part\.jpg$/);
  });

  it("takes a file renamed in (written before, under a name that is not an image) at once, oldest first", async () => {
    const folder = fresh("renamed");
    const watch = source(folder, { settleMs: 60_000 });
    writeFileSync(path.join(folder, "b.jpg.part"), jpeg);
    writeFileSync(path.join(folder, "a.jpg.part"), jpeg);
    expect(await watch.next(signal)).to.deep.equal({ idle: `no new images in ${folder}` });
    const old = new Date(Date.now() - 120_000);
    utimesSync(path.join(folder, "b.jpg.part"), old, old);
    utimesSync(path.join(folder, "a.jpg.part"), new Date(Date.now() - 90_000), new Date(Date.now() - 90_000));
    for (const name of ["a", "b"]) {
      await import("node:fs/promises").then((fs) =>
        fs.rename(path.join(folder, `${name}.jpg.part`), path.join(folder, `${name}.jpg`)),
      );
    }
    expect(asFrame(await watch.next(signal)).name).to.equal("b.jpg");
  });

  it("moves failures to failed/ and keeps at most `retain` files there, the newest", async () => {
    const folder = fresh("full-failed");
    const watch = source(folder, { retain: 2, settleMs: 0 });
    for (let i = 0; i < 5; i++) {
      writeFileSync(path.join(folder, `bad-${i}.jpg`), "not an image");
      const frame = asFrame(await watch.next(signal));
      expect(frame.name).to.equal(`bad-${i}.jpg`);
      await frame.settle!("failed");
      await sleep(2);
    }
    const kept = readdirSync(path.join(folder, "failed"));
    expect(kept.map((n) => n.replace(/^.*Z-/, ""))).to.deep.equal(["bad-3.jpg", "bad-4.jpg"]);
    expect(readdirSync(folder).filter((n) => n.endsWith(".jpg"))).to.deep.equal([]);
  });

  it("when failed/ cannot take a file, says so once and does not inspect that file again until it changes", async () => {
    const folder = fresh("blocked-failed");
    // A file where the failed/ folder should be: every move into it fails.
    writeFileSync(path.join(folder, "failed"), "in the way");
    const watch = source(folder, { settleMs: 0 });
    for (const name of ["bad-1.jpg", "bad-2.jpg"]) {
      writeFileSync(path.join(folder, name), "not an image");
      const frame = asFrame(await watch.next(signal));
      await frame.settle!("failed");
    }
    expect(await watch.next(signal)).to.deep.equal({ idle: `no new images in ${folder}` });
    expect(watch.log.lines.filter((l) => l.startsWith("ERROR cannot move into failed/"))).to.have.length(1);
    writeFileSync(path.join(folder, "bad-1.jpg"), "changed, still not an image");
    expect(asFrame(await watch.next(signal)).name).to.equal("bad-1.jpg");
  });

  it("deletes inspected files under the delete policy", async () => {
    const folder = fresh("delete");
    const watch = source(folder, { settleMs: 0, delete: true });
    writeFileSync(path.join(folder, "part.jpg"), jpeg);
    await asFrame(await watch.next(signal)).settle!("inspected");
    expect(readdirSync(folder)).to.deep.equal([]);
  });

  it("gives the same file the same messageId, so a repeat after a crash is dropped by consumers", async () => {
    const folder = fresh("ids");
    writeFileSync(path.join(folder, "part.jpg"), jpeg);
    const first = asFrame(await source(folder, { settleMs: 0 }).next(signal));
    const again = asFrame(await source(folder, { settleMs: 0 }).next(signal));
    expect(first.messageId).to.equal(again.messageId);
    expect(first.messageId).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(stableMessageId("line-1/part.jpg/1:2")).to.not.equal(stableMessageId("line-1/part.jpg/1:3"));
  });

  describe("in the detector, stopped and started again mid-folder", () => {
    let model: string;
    before(() => {
      model = oneScratchDetector(dir, 0.9);
    });

    it("inspects every file exactly once across the restart and leaves the folder empty", async function () {
      this.timeout(60_000);
      const folder = fresh("restart");
      for (let i = 0; i < 12; i++) writeFileSync(path.join(folder, `part-${String(i).padStart(2, "0")}.jpg`), jpeg);
      const old = new Date(Date.now() - 60_000);
      for (const name of readdirSync(folder)) utimesSync(path.join(folder, name), old, old);
      const outboxDir = path.join(dir, "outbox-restart");
      const config = parseEdgeConfig(
        {
          model,
          imagesDir: folder,
          source: "folder-watch",
          intervalSeconds: "0",
          broker: "mqtt://127.0.0.1:9",
          outboxDir,
          shutdownTimeoutSeconds: "0",
        },
        {},
      );
      for (let run = 0; run < 2; run++) {
        const log = memoryLog();
        const app = await EdgeApp.create(config, log);
        const done = app.run();
        const inspected = () => log.lines.filter((l) => /^part-\d+\.jpg /.test(l)).length;
        const deadline = Date.now() + 20_000;
        // The first run is stopped after a few images; the second runs until the folder is empty.
        while (run === 0 ? inspected() < 4 : readdirSync(folder).some((n) => n.endsWith(".jpg"))) {
          if (Date.now() > deadline) throw new Error(log.lines.join("\n"));
          await sleep(20);
        }
        app.stop();
        expect(await done).to.equal(0);
      }
      const outbox = await Outbox.open<{ topic: string }>(outboxDir, { maxBytes: 1 << 30 });
      const names: string[] = [];
      for (let entry = await outbox.peek(); entry; entry = await outbox.peek()) {
        const body = JSON.parse(entry.payload.toString());
        expect(body.source).to.equal("folder-watch");
        names.push(body.image_name);
        await outbox.remove(entry.id);
      }
      expect(names.sort()).to.deep.equal(
        readdirSync(path.join(folder, "processed"))
          .map((n) => n.replace(/^.*Z-/, ""))
          .sort(),
      );
      expect(names).to.have.length(12);
      expect(new Set(names).size).to.equal(12);
    });
  });
});
