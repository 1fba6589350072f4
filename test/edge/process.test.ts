import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { inferenceResultProblems } from "../../contracts/inferenceMessages";
import { EdgeProcess } from "../processes/edgeProcess";
import { gradientJpeg } from "../harness/images";
import { MOSQUITTO, Mosquitto, NO_MOSQUITTO, Subscriber } from "../processes/mosquitto";
import { tempDir, oneScratchDetector } from "../harness/modelFolders";
import { skipBecause } from "../harness/skip";

const TOPIC = "qualityinspection/scratch-detection";

describe("edge CLI process", () => {
  const dir = tempDir("process");
  let model: string;
  let images: string;
  const processes: EdgeProcess[] = [];
  const edge = (args: string[], env: NodeJS.ProcessEnv = {}) => {
    const p = new EdgeProcess(args, env);
    processes.push(p);
    return p;
  };

  before(async () => {
    model = oneScratchDetector(dir, 0.9);
    images = path.join(dir, "images");
    mkdirSync(images);
    for (let i = 0; i < 10; i++)
      writeFileSync(path.join(images, `part-${String(i).padStart(3, "0")}.jpg`), await gradientJpeg(450, 300));
  });
  afterEach(async () => {
    for (const p of processes.splice(0)) {
      p.kill("SIGKILL");
      await p.exit();
    }
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  describe("refuses to start, exit code 2, with a message naming the problem", () => {
    it("when the model is missing", async () => {
      const p = edge(["--model", path.join(dir, "missing-model"), "--images", images]);
      expect(await p.exit()).to.equal(2);
      expect(p.stderr.join("\n")).to.match(/model: .*missing-model does not exist/);
    });

    it("when a flag or a variable has a bad value, listing each", async () => {
      const p = edge(["--model", model, "--images", images, "--interval", "often"], {
        QI_EDGE_TRANSPORT: "carrier-pigeon",
      });
      expect(await p.exit()).to.equal(2);
      const stderr = p.stderr.join("\n");
      expect(stderr).to.contain('--interval must be a number of seconds from 0 to 86400 (got "often")');
      expect(stderr).to.contain('QI_EDGE_TRANSPORT must be mqtt or greengrass-ipc (got "carrier-pigeon")');
    });
  });

  it("--check loads the model and says what it would do", async () => {
    const p = edge(["--check", "--model", model, "--images", images, "--outbox", path.join(dir, "outbox-check")]);
    expect(await p.exit(), p.output()).to.equal(0);
    expect(p.stdout.join("\n")).to.match(/^ok: model scratch-detector fixture-1 \(torchvision, 320x320/);
  });

  it("fails with exit code 1 when --once finds no images", async () => {
    const empty = path.join(dir, "empty");
    mkdirSync(empty);
    writeFileSync(path.join(empty, "README.txt"), "no images here");
    const p = edge([
      "--model",
      model,
      "--images",
      empty,
      "--once",
      "--broker",
      "mqtt://127.0.0.1:9",
      "--outbox",
      path.join(dir, "outbox-empty"),
    ]);
    expect(await p.exit()).to.equal(1);
    expect(p.stderr.join("\n")).to.contain(`no images in ${empty}`);
  });

  describe("with a real broker", function () {
    let broker: Mosquitto;
    let subscriber: Subscriber;
    before(async function () {
      if (!MOSQUITTO) skipBecause(this, `${NO_MOSQUITTO}`);
      broker = await Mosquitto.create(path.join(dir, "broker"));
      await broker.start();
      subscriber = await Subscriber.connect(broker.port, `${TOPIC}/#`, "process-tests");
    });
    after(async () => {
      await subscriber?.close();
      await broker?.stop();
    });

    it("on SIGTERM finishes the image in flight, delivers what it queued and exits 0", async () => {
      const outbox = path.join(dir, "outbox-sigterm");
      const p = edge([
        "--model",
        model,
        "--images",
        images,
        "--interval",
        "0.2",
        "--broker",
        broker.url,
        "--outbox",
        outbox,
        "--thing-name",
        "sigterm-thing",
      ]);
      await p.waitForLines(() => p.summaries("part-").length >= 2, 30_000);
      p.kill("SIGTERM");
      expect(await p.exit(), p.output()).to.equal(0);
      expect(p.stdout.join("\n")).to.contain("SIGTERM: finishing the image in flight");
      const printed = p.summaries("part-");
      const received = await subscriber.waitFor(
        (r) =>
          printed.every((name) => r.some((m) => m.body.thingName === "sigterm-thing" && m.body.image_name === name)),
        10_000,
      );
      expect(received.length).to.be.greaterThan(0);
      expect(readdirSync(outbox).filter((f) => f.endsWith(".msg"))).to.deep.equal([]);
    });

    it("loses nothing when killed with SIGKILL mid-run: the next start delivers every queued result", async () => {
      const outbox = path.join(dir, "outbox-sigkill");
      const args = ["--model", model, "--broker", broker.url, "--outbox", outbox, "--thing-name", "sigkill-thing"];
      const first = edge([...args, "--images", images, "--interval", "0.1"]);
      await first.waitForLines(() => first.summaries("part-").length >= 2, 30_000);
      // Take the broker away so results pile up in the outbox, then kill the process without warning.
      await subscriber.disconnect();
      await broker.stop();
      await first.waitForLines(() => first.summaries("part-").length >= 6, 30_000);
      first.kill("SIGKILL");
      expect(await first.exit()).to.equal(null);
      const queued = readdirSync(outbox).filter((f) => f.endsWith(".msg")).length;
      expect(queued, "results waiting on disk after the kill").to.be.at.least(3);
      const beforeKill = first.summaries("part-");
      await broker.start();
      await subscriber.reconnect();

      // The restarted process has a new image; the old results go out first, in order.
      const later = path.join(dir, "later");
      mkdirSync(later);
      writeFileSync(path.join(later, "zz-after-restart.jpg"), await gradientJpeg(450, 300));
      const second = edge([...args, "--images", later, "--once", "--shutdown-timeout", "20"]);
      expect(await second.exit(), second.output()).to.equal(0);

      const mine = (r: typeof subscriber.received) =>
        r.filter((m) => m.body.thingName === "sigkill-thing" && m.topic === TOPIC);
      const received = await subscriber.waitFor(
        (r) => mine(r).some((m) => m.body.image_name === "zz-after-restart.jpg"),
        20_000,
      );
      const names = mine(received).map((m) => String(m.body.image_name));
      for (const name of beforeKill) expect(names, `${name} was queued before the kill`).to.include(name);
      // Every result before the kill arrives before the new one; repeats are allowed, gaps are not.
      const firstArrivals = [...new Set(names)];
      expect(firstArrivals.at(-1)).to.equal("zz-after-restart.jpg");
      expect(firstArrivals.slice(0, -1)).to.deep.equal([...new Set(beforeKill)]);
      for (const m of mine(received)) expect(inferenceResultProblems(m.body)).to.deep.equal([]);
      expect(readdirSync(outbox).filter((f) => f.endsWith(".msg"))).to.deep.equal([]);
    });
  });
});
