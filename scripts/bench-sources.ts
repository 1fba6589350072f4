import { once } from "node:events";
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { EdgeApp } from "../edge/src/app";
import { EdgeConfigField, parseEdgeConfig } from "../edge/src/config";
import { silentLog } from "../edge/src/log";
import { StreamSource } from "../edge/src/sources/stream";
import { gradientJpeg, realSampleImages } from "../test/harness/images";
import { MjpegHttpCamera, RtspCamera } from "../test/processes/cameras";
import { Mosquitto, Subscriber } from "../test/processes/mosquitto";

/**
 * `npm run bench:sources -- [--seconds N]`
 *
 * Each image source feeding the demo model (models/demo) through a real mosquitto: frames/s and end-to-end latency
 * (the result's capturedAt → the result arriving at a subscriber) for folder-watch, http-snapshot, MJPEG over HTTP and
 * RTSP over TCP and UDP, all 640×480: flat out (`--interval 0`, the camera at 15 frames/s) and paced at 5 frames/s
 * (`--interval 0.2`, where nothing waits in the outbox). Then the CPU ffmpeg itself uses (from /proc) sampling a 640×480 H.264 RTSP
 * stream and a 640×480 MJPEG stream, both sent at 30 frames/s, at 5 and at 15 frames/s. The last line is JSON.
 */

const ROOT = path.resolve(__dirname, "..");
const TOPIC = "bench/sources";
const TICKS = 100;
const round = (v: number, d = 1) => Math.round(v * 10 ** d) / 10 ** d;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const seconds = Number(process.argv[process.argv.indexOf("--seconds") + 1]) || 10;

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}

function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / TICKS;
}

async function camera640(): Promise<Buffer> {
  const sample = realSampleImages()[0];
  // The real samples are 450×300; a camera-sized frame is generated so every source sees 640×480.
  return sample && process.argv.includes("--real") ? readFileSync(sample) : gradientJpeg(640, 480);
}

/** Runs the detector on one source for `seconds`; the subscriber's arrivals give frames/s and latency. */
async function measure(
  name: string,
  flags: Partial<Record<EdgeConfigField, string>>,
  broker: Mosquitto,
  subscriber: Subscriber,
  work: string,
) {
  const config = parseEdgeConfig(
    {
      model: path.join(ROOT, "models", "demo"),
      broker: `mqtt://127.0.0.1:${broker.port}`,
      topic: TOPIC,
      outboxDir: path.join(work, `outbox-${name}`),
      shutdownTimeoutSeconds: "2",
      clientId: `bench-${name}`,
      ...flags,
    },
    {},
  );
  const app = await EdgeApp.create(config, silentLog);
  const from = subscriber.received.length;
  const arrivals: { at: number; capturedAt: number; skipped: number }[] = [];
  const running = app.run();
  const started = Date.now();
  const watch = setInterval(() => {
    for (const r of subscriber.received.slice(from + arrivals.length)) {
      arrivals.push({
        at: Date.now(),
        capturedAt: Date.parse(String(r.body.capturedAt)),
        skipped: Number(r.body.framesSkipped ?? 0),
      });
    }
  }, 5);
  await sleep(seconds * 1000);
  app.stop();
  await running;
  clearInterval(watch);
  // The first second warms up (connection, first ffmpeg frames); frames/s counts what arrived after it.
  const steady = arrivals.filter((a) => a.at - started >= 1000);
  const span = steady.length > 1 ? (steady.at(-1)!.at - steady[0].at) / 1000 : NaN;
  const latency = steady.map((a) => a.at - a.capturedAt);
  return {
    source: name,
    results: arrivals.length,
    framesPerSecond: round((steady.length - 1) / span),
    latencyMsP50: round(percentile(latency, 50)),
    latencyMsP95: round(percentile(latency, 95)),
    skippedPerResult: round(steady.reduce((s, a) => s + a.skipped, 0) / Math.max(1, steady.length)),
  };
}

/** A folder a line PC fills: one complete file renamed in every 1/rate s. */
function feedFolder(dir: string, jpeg: Buffer, rate: number): () => void {
  let n = 0;
  const timer = setInterval(() => {
    const name = `part-${String(n++).padStart(6, "0")}.jpg`;
    writeFileSync(path.join(dir, `.${name}.part`), jpeg);
    renameSync(path.join(dir, `.${name}.part`), path.join(dir, name));
  }, 1000 / rate);
  return () => clearInterval(timer);
}

async function ffmpegCpu(url: string, fps: number): Promise<number> {
  const source = new StreamSource({
    input: { kind: "url", url: new URL(url) },
    rtspTransport: "tcp",
    fps,
    timeoutMs: 10_000,
    log: silentLog,
  });
  const stop = new AbortController();
  const drain = (async () => {
    while (!stop.signal.aborted) await source.next(stop.signal).catch(() => undefined);
  })();
  await sleep(2000);
  const pid = source.ffmpegPid!;
  const before = cpuSeconds(pid);
  const window = Math.min(seconds, 10);
  await sleep(window * 1000);
  const used = cpuSeconds(pid) - before;
  stop.abort();
  await drain;
  await source.close();
  return round((100 * used) / window);
}

async function allSources(broker: Mosquitto, subscriber: Subscriber, work: string, jpeg: Buffer, interval: string) {
  const results = [];
  const tag = interval === "0" ? "" : `@${interval}s`;
  const folder = path.join(work, `watched${tag}`);
  mkdirSync(folder);
  const stopFeeding = feedFolder(folder, jpeg, 20);
  const common = { intervalSeconds: interval };
  results.push(
    await measure(
      `folder-watch${tag}`,
      { ...common, source: "folder-watch", imagesDir: folder, settleSeconds: "0.2" },
      broker,
      subscriber,
      work,
    ),
  );
  stopFeeding();

  const server = createServer((_req, res) => res.writeHead(200, { "content-type": "image/jpeg" }).end(jpeg));
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const snapshotUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/snapshot.jpg`;
  results.push(
    await measure(
      `http-snapshot${tag}`,
      { ...common, source: "http-snapshot", camera: snapshotUrl },
      broker,
      subscriber,
      work,
    ),
  );
  server.close();

  const mjpeg = await MjpegHttpCamera.create(640, 480, 15);
  mjpeg.start();
  results.push(
    await measure(
      `stream-mjpeg-http${tag}`,
      { ...common, source: "stream", camera: mjpeg.url },
      broker,
      subscriber,
      work,
    ),
  );
  await mjpeg.stop();

  for (const transport of ["tcp", "udp"]) {
    const rtsp = await RtspCamera.start(640, 480, 15);
    results.push(
      await measure(
        `stream-rtsp-${transport}${tag}`,
        { ...common, source: "stream", camera: rtsp.url, rtspTransport: transport },
        broker,
        subscriber,
        work,
      ),
    );
    await rtsp.stop();
  }
  return results;
}

async function main(): Promise<void> {
  const work = mkdtempSync(path.join(os.tmpdir(), "bench-sources-"));
  const broker = await Mosquitto.create(path.join(work, "broker"));
  await broker.start();
  const subscriber = await Subscriber.connect(broker.port, `${TOPIC}`, "bench-sources");
  const jpeg = await camera640();
  const results = [];
  try {
    for (const interval of ["0", "0.2"]) results.push(...(await allSources(broker, subscriber, work, jpeg, interval)));

    const ffmpegCpuPercent: Record<string, number> = {};
    const rtsp = await RtspCamera.start(640, 480, 30);
    for (const fps of [5, 15]) ffmpegCpuPercent[`rtsp-h264-640x480@30-sampled-${fps}`] = await ffmpegCpu(rtsp.url, fps);
    await rtsp.stop();
    for (const fps of [5, 15]) {
      const camera = await MjpegHttpCamera.create(640, 480, 30);
      camera.start();
      await sleep(500);
      ffmpegCpuPercent[`mjpeg-640x480@30-sampled-${fps}`] = await ffmpegCpu(camera.url, fps);
      await camera.stop();
    }
    for (const r of results) {
      console.log(
        `${r.source.padEnd(18)} ${String(r.framesPerSecond).padStart(6)} frames/s  latency p50 ${r.latencyMsP50} ms, p95 ${r.latencyMsP95} ms  (${r.results} results, ${r.skippedPerResult} skipped per result)`,
      );
    }
    for (const [what, percent] of Object.entries(ffmpegCpuPercent))
      console.log(`ffmpeg ${what}: ${percent} % of a core`);
    console.log(JSON.stringify({ seconds, cpus: os.cpus().length, sources: results, ffmpegCpuPercent }));
  } finally {
    await subscriber.close();
    await broker.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
