import { ChildProcess, spawn, spawnSync } from "node:child_process";
import { Backoff } from "../backoff";
import { Log } from "../log";
import { RepeatedProblem } from "../repeatedProblem";
import { JpegSplitter } from "./jpegSplitter";
import { cameraFrameName, Frame, ImageSource, Pull, SourceProblem } from "./source";

export type StreamInput = { kind: "url"; url: URL } | { kind: "v4l2"; device: string };

export interface StreamOptions {
  input: StreamInput;
  rtspTransport: "tcp" | "udp";
  /** Frames per second ffmpeg samples; 0 takes every frame the camera sends. */
  fps: number;
  /** No frame for this long: the stream counts as dropped and ffmpeg is restarted. */
  timeoutMs: number;
  log: Log;
  /** The ffmpeg to run (tests and benchmarks may point elsewhere). */
  ffmpeg?: string;
}

/** One frame is a few hundred KB; a "frame" past this is not one. */
const MAX_FRAME_BYTES = 32 * 1024 * 1024;

/** ffmpeg's arguments: read the camera, sample the rate, write each frame as one JPEG to stdout. */
export function ffmpegArguments({ input, rtspTransport, fps }: Pick<StreamOptions, "input" | "rtspTransport" | "fps">) {
  const source =
    input.kind === "v4l2"
      ? ["-f", "v4l2", "-i", input.device]
      : input.url.protocol.startsWith("rtsp")
        ? ["-rtsp_transport", rtspTransport, "-i", input.url.href]
        : ["-i", input.url.href];
  const rate = fps > 0 ? ["-vf", `fps=${fps}`] : [];
  return [
    "-hide_banner",
    "-nostdin",
    "-loglevel",
    "error",
    ...source,
    ...rate,
    "-an",
    "-f",
    "image2pipe",
    "-c:v",
    "mjpeg",
    "-q:v",
    "4",
    "pipe:1",
  ];
}

/**
 * `stream`: MJPEG over HTTP, RTSP (TCP or UDP) or a V4L2 device, decoded by one long-lived ffmpeg that samples the
 * configured rate and writes each frame as one JPEG — the bytes the detector decodes and, when the frame is sent back
 * for labeling, the bytes uploaded (encoded once). Nothing queues: when inspection is slower than the camera the
 * newest frame wins and the others are counted as skipped. When the stream drops (ffmpeg exits, or no frame for the
 * timeout) ffmpeg is restarted with backoff; its stderr is summarised in one line per distinct failure.
 */
export class StreamSource implements ImageSource {
  readonly kind = "stream";
  private child?: ChildProcess;
  private latest?: Frame;
  private skipped = 0;
  private waiting?: () => void;
  private closing = false;
  private readonly restarts = new Backoff(1000, 30_000);
  private readonly failure: RepeatedProblem;
  private restartTimer?: NodeJS.Timeout;
  private watchdog?: NodeJS.Timeout;
  /** Why the last ffmpeg stopped, for the next problem `next()` reports. */
  private lastProblem?: string;
  /** Why the running ffmpeg is being ended (spawn error, watchdog), if not its own stderr. */
  private runProblem?: string;
  framesReceived = 0;
  /** ffmpeg processes started so far (the first and every restart). */
  starts = 0;

  constructor(private readonly options: StreamOptions) {
    this.failure = new RepeatedProblem(options.log, "warn");
  }

  get description(): string {
    const { input, rtspTransport, fps } = this.options;
    const where = input.kind === "v4l2" ? input.device : withoutCredentials(input.url.href);
    const transport = input.kind === "url" && input.url.protocol.startsWith("rtsp") ? ` over ${rtspTransport}` : "";
    return `stream ${where}${transport} via ffmpeg at ${fps > 0 ? `${fps} frames/s` : "the camera's rate"}`;
  }

  async next(signal: AbortSignal): Promise<Pull> {
    if (!this.child && !this.restartTimer) this.start();
    if (!this.latest) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.options.timeoutMs);
        const done = () => {
          clearTimeout(timer);
          signal.removeEventListener("abort", done);
          resolve();
        };
        this.waiting = done;
        signal.addEventListener("abort", done, { once: true });
      });
      this.waiting = undefined;
    }
    const frame = this.latest;
    this.latest = undefined;
    if (frame) return frame;
    if (signal.aborted) return { idle: "stopping" };
    throw new SourceProblem(`no frame from ${this.description}${this.lastProblem ? `: ${this.lastProblem}` : ""}`);
  }

  check(): string | undefined {
    const ffmpeg = this.options.ffmpeg ?? "ffmpeg";
    const probe = spawnSync(ffmpeg, ["-hide_banner", "-version"], { stdio: "ignore", timeout: 10_000 });
    if (probe.error || probe.status !== 0) {
      return `source stream needs ${ffmpeg}, which does not run here (${probe.error?.message ?? `exit ${probe.status}`}); Debian: apt-get install ffmpeg`;
    }
    return undefined;
  }

  /** The running ffmpeg's process id (benchmarks read its CPU time). */
  get ffmpegPid(): number | undefined {
    return this.child?.pid;
  }

  takeSkipped(): number {
    const skipped = this.skipped;
    this.skipped = 0;
    return skipped;
  }

  private start(): void {
    const ffmpeg = this.options.ffmpeg ?? "ffmpeg";
    const child = spawn(ffmpeg, ffmpegArguments(this.options), { stdio: ["ignore", "pipe", "pipe"] });
    this.runProblem = undefined;
    this.starts += 1;
    this.child = child;
    const splitter = new JpegSplitter(MAX_FRAME_BYTES);
    const stderr: string[] = [];
    child.stdout!.on("data", (chunk: Buffer) => {
      for (const jpeg of splitter.push(chunk)) this.receive(jpeg);
    });
    child.stderr!.on("data", (chunk: Buffer) => {
      // Only the last few lines are kept: they say why it stopped.
      stderr.push(
        ...chunk
          .toString("utf8")
          .split(/\r?\n/)
          .filter((l) => l.trim() !== "")
          .map(withoutCredentials),
      );
      stderr.splice(0, Math.max(0, stderr.length - 5));
    });
    child.on("error", (error) => {
      const missing = (error as NodeJS.ErrnoException).code === "ENOENT";
      this.runProblem = missing ? `${ffmpeg} is not installed (Debian: apt-get install ffmpeg)` : error.message;
    });
    child.on("close", () => {
      if (this.child !== child) return;
      this.child = undefined;
      clearTimeout(this.watchdog);
      if (this.closing) return;
      const why = this.runProblem ?? stderr.at(-1) ?? "no message";
      this.lastProblem = why;
      // A frame from before the drop is not the camera's newest any more.
      if (this.latest) this.skipped += 1;
      this.latest = undefined;
      // Without the exit status: the same failure ends with different codes, and is still the same failure.
      this.failure.report(`ffmpeg for ${this.description} stopped: ${why}`);
      this.waiting?.();
      this.restartTimer = setTimeout(() => {
        this.restartTimer = undefined;
        if (!this.closing) this.start();
      }, this.restarts.next());
    });
    this.armWatchdog(child);
  }

  /** A stream that goes silent without ffmpeg noticing (a camera switched off mid-stream) is restarted too. */
  private armWatchdog(child: ChildProcess): void {
    clearTimeout(this.watchdog);
    this.watchdog = setTimeout(() => {
      if (this.child !== child) return;
      this.runProblem = `no frame for ${this.options.timeoutMs / 1000} s`;
      child.kill("SIGKILL");
    }, this.options.timeoutMs);
  }

  private receive(jpeg: Buffer): void {
    this.framesReceived += 1;
    if (this.latest) this.skipped += 1;
    const capturedAt = Date.now();
    this.latest = { name: cameraFrameName("stream", capturedAt), capturedAt, read: async () => jpeg };
    this.lastProblem = undefined;
    this.restarts.reset();
    this.failure.clear(`${this.description} delivers frames again`);
    if (this.child) this.armWatchdog(this.child);
    this.waiting?.();
  }

  async close(): Promise<void> {
    this.closing = true;
    clearTimeout(this.restartTimer);
    clearTimeout(this.watchdog);
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const closed = new Promise((resolve) => child.once("close", resolve));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 2000);
    await closed;
    clearTimeout(timer);
  }
}

/** A URL's `user:password@` left out, wherever it appears in a line (ffmpeg repeats its input URL in errors). */
export const withoutCredentials = (text: string): string => text.replace(/\/\/[^/@\s]*@/g, "//");
