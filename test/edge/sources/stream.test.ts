import { readdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { inferenceResultProblems } from "../../../contracts/inferenceMessages";
import { EdgeApp } from "../../../edge/src/app";
import { parseEdgeConfig } from "../../../edge/src/config";
import { Outbox } from "../../../edge/src/outbox";
import { oneScratchDetector, tempDir } from "../../harness/modelFolders";
import { decodeJpeg } from "../../../edge/src/jpeg";
import { isFrame, Frame } from "../../../edge/src/sources/source";
import { ffmpegArguments, StreamSource, withoutCredentials } from "../../../edge/src/sources/stream";
import { memoryLog } from "../../fakes/memoryLog";
import { FFMPEG, MjpegHttpCamera, NO_FFMPEG, RtspCamera, rtspServerMissing } from "../../processes/cameras";
import { skipBecause } from "../../harness/skip";

const filesBelow = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The next frame; a problem (the camera not listening yet, a restart) is retried as the detector's loop would. */
async function nextFrame(source: StreamSource, timeoutMs = 20_000): Promise<Frame> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pull = await source.next(new AbortController().signal).catch((e: Error) => e);
    if (!(pull instanceof Error) && isFrame(pull)) return pull;
    if (Date.now() > deadline) throw pull instanceof Error ? pull : new Error(JSON.stringify(pull));
    await sleep(100);
  }
}

async function expectJpeg(frame: Frame, width: number, height: number): Promise<void> {
  const image = await decodeJpeg(await frame.read());
  expect([image.width, image.height]).to.deep.equal([width, height]);
}

describe("stream source", function () {
  this.timeout(60_000);
  const sources: StreamSource[] = [];
  const stream = (url: string, options: { fps?: number; rtspTransport?: "tcp" | "udp"; ffmpeg?: string } = {}) => {
    const log = memoryLog();
    const source = new StreamSource({
      input: { kind: "url", url: new URL(url) },
      rtspTransport: options.rtspTransport ?? "tcp",
      fps: options.fps ?? 5,
      timeoutMs: 5000,
      log,
      ffmpeg: options.ffmpeg,
    });
    sources.push(source);
    return Object.assign(source, { log });
  };
  afterEach(async () => {
    for (const s of sources.splice(0)) await s.close();
  });

  it("asks ffmpeg for JPEGs on stdout at the sampled rate, over the configured RTSP transport", () => {
    const args = ffmpegArguments({
      input: { kind: "url", url: new URL("rtsp://cam/1") },
      rtspTransport: "udp",
      fps: 5,
    });
    expect(args.join(" ")).to.contain("-rtsp_transport udp -i rtsp://cam/1 -vf fps=5");
    expect(args.slice(-7).join(" ")).to.equal("-f image2pipe -c:v mjpeg -q:v 4 pipe:1");
    const v4l2 = ffmpegArguments({ input: { kind: "v4l2", device: "/dev/video0" }, rtspTransport: "tcp", fps: 0 });
    expect(v4l2.join(" ")).to.contain("-f v4l2 -i /dev/video0 -an");
    expect(withoutCredentials("rtsp://admin:pw@cam/1: 401 Unauthorized")).to.equal("rtsp://cam/1: 401 Unauthorized");
  });

  it("says that ffmpeg is missing, at once", async () => {
    const source = stream("http://127.0.0.1:9/none.mjpg", { ffmpeg: "/nonexistent/ffmpeg" });
    const message = await source.next(new AbortController().signal).catch((e: Error) => e.message);
    expect(message).to.match(/\/nonexistent\/ffmpeg is not installed/);
  });

  describe("with ffmpeg", () => {
    before(function () {
      if (!FFMPEG) skipBecause(this, NO_FFMPEG);
    });

    it("reads MJPEG over HTTP; when inspection is slower, the newest frame wins and the rest are counted", async () => {
      const camera = await MjpegHttpCamera.create(640, 480, 15);
      camera.start();
      try {
        const source = stream(camera.url, { fps: 0 });
        const first = await nextFrame(source);
        await expectJpeg(first, 640, 480);
        source.takeSkipped();
        await sleep(1000);
        const later = await nextFrame(source);
        expect(Date.now() - later.capturedAt).to.be.below(300);
        // 15 frames/s for a second, one handed out: the others were skipped, not queued.
        expect(source.takeSkipped()).to.be.within(8, 20);
      } finally {
        await camera.stop();
      }
    });

    it("restarts ffmpeg with backoff when the stream drops, logging the drop once and the recovery once", async () => {
      const camera = await MjpegHttpCamera.create(320, 240, 10);
      camera.start();
      try {
        const source = stream(camera.url);
        await nextFrame(source);
        // The first connection may have come before the camera listened: what counts is from here.
        const from = source.log.lines.length;
        const startsBefore = source.starts;
        await camera.stop();
        const drops = () => source.log.lines.slice(from).filter((l) => l.startsWith("WARN ffmpeg for stream"));
        // ffmpeg notices the drop (or the watchdog does, after --camera-timeout), then fails again while the camera
        // is away: restarts after 1 s, 2 s, … and the same failure is not logged again.
        const deadline = Date.now() + 10_000;
        while (drops().length === 0 && Date.now() < deadline) await sleep(100);
        await sleep(3000);
        // The drop, then (while the camera is away) the refused restarts: each distinct failure once, never a repeat.
        expect(drops()[0]).to.contain(`stream ${camera.url} via ffmpeg at 5 frames/s stopped`);
        expect(new Set(drops()).size, source.log.lines.join("\n")).to.equal(drops().length);
        expect(drops().length, source.log.lines.join("\n")).to.be.within(1, 2);
        // Restarts after 1 s, then 2 s: in the 3 to 4 s the camera was away, two or three, not a tight loop.
        expect(source.starts - startsBefore).to.be.within(1, 3);
        camera.start();
        await expectJpeg(await nextFrame(source), 320, 240);
        expect(
          source.log.lines.slice(from).filter((l) => l.includes("delivers frames again")),
          source.log.lines.join("\n"),
        ).to.have.length(1);
      } finally {
        await camera.stop();
      }
    });

    it("feeds the detector: results name the stream and its skipped frames; images sent back are ffmpeg's JPEGs", async function () {
      const dir = tempDir("stream-app");
      const camera = await MjpegHttpCamera.create(640, 480, 15);
      camera.start();
      try {
        const lake = path.join(dir, "lake");
        const config = parseEdgeConfig(
          {
            model: oneScratchDetector(dir, 0.9),
            source: "stream",
            camera: camera.url,
            intervalSeconds: "0.2",
            broker: "mqtt://127.0.0.1:9",
            outboxDir: path.join(dir, "outbox"),
            upload: lake,
            uploadOutboxDir: path.join(dir, "upload-outbox"),
            uncertaintyMaxScore: "1",
            uncertaintyMaxPerHour: "1000",
            shutdownTimeoutSeconds: "0",
          },
          {},
        );
        const log = memoryLog();
        const app = await EdgeApp.create(config, log);
        const done = app.run();
        const deadline = Date.now() + 30_000;
        while (log.lines.filter((l) => l.startsWith("stream-")).length < 4) {
          if (Date.now() > deadline) throw new Error(log.lines.join("\n"));
          await sleep(50);
        }
        app.stop();
        expect(await done).to.equal(0);
        const outbox = await Outbox.open<{ topic: string }>(config.outboxDir, { maxBytes: 1 << 30 });
        const results = [];
        for (let entry = await outbox.peek(); entry; entry = await outbox.peek()) {
          results.push(JSON.parse(entry.payload.toString()));
          await outbox.remove(entry.id);
        }
        expect(results.length).to.be.at.least(4);
        for (const r of results) {
          expect(r).to.include({ source: "stream", imageWidth: 640, imageHeight: 480 });
          expect(r.framesSkipped).to.be.a("number");
          expect(inferenceResultProblems(r, { exact: true })).to.deep.equal([]);
        }
        // 5 frames/s sampled while inspecting every 0.2 s: a few skipped at most, never a queue.
        expect(results.slice(1).every((r) => r.framesSkipped <= 3)).to.equal(true);
        const sent = filesBelow(lake).filter((f) => f.endsWith(".jpg"));
        expect(sent.length).to.be.at.least(1);
        // ffmpeg's encoder signs its JPEGs ("Lavc"): the stored image is the frame as ffmpeg encoded it, not re-encoded.
        expect(readFileSync(sent[0]).includes(Buffer.from("Lavc"))).to.equal(true);
      } finally {
        await camera.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    });

    for (const transport of ["tcp", "udp"] as const) {
      it(`reads H.264 over RTSP (${transport}) from GStreamer's RTSP server`, async function () {
        const missing = rtspServerMissing();
        if (missing) skipBecause(this, missing);
        const camera = await RtspCamera.start(640, 480, 15);
        try {
          const source = stream(camera.url, { rtspTransport: transport, fps: 5 });
          await expectJpeg(await nextFrame(source), 640, 480);
          const second = await nextFrame(source);
          await expectJpeg(second, 640, 480);
        } finally {
          await camera.stop();
        }
      });
    }
  });
});
