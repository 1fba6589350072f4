import { ChildProcess, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { existsSync } from "node:fs";
import path from "node:path";
import readline from "node:readline";
import { freePort } from "./mosquitto";

/** Debian's ffmpeg; `.ci/run` installs it. */
export const FFMPEG = ["/usr/bin/ffmpeg"].find((p) => existsSync(p));
export const NO_FFMPEG = "ffmpeg is not installed (apt-get install ffmpeg; .ci/run does)";

const PYTHON = "/usr/bin/python3";
/** GStreamer's RTSP server from Python, with x264 (gir1.2-gst-rtsp-server-1.0, python3-gi, gstreamer1.0-plugins-ugly). */
export function rtspServerMissing(): string | undefined {
  if (!existsSync(PYTHON)) return "/usr/bin/python3 is not installed";
  const check = spawnSync(PYTHON, [
    "-c",
    "import gi; gi.require_version('Gst','1.0'); gi.require_version('GstRtspServer','1.0'); from gi.repository import Gst, GstRtspServer; Gst.init(None); assert Gst.ElementFactory.find('x264enc')",
  ]);
  return check.status === 0
    ? undefined
    : "GStreamer's RTSP server is missing (apt-get install python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-ugly gstreamer1.0-plugins-good; .ci/run does)";
}

/** A child process that is a camera; `stop()` kills it and waits. */
abstract class CameraProcess {
  protected child?: ChildProcess;
  readonly output: string[] = [];

  protected launch(command: string, args: string[]): ChildProcess {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    for (const stream of [child.stdout!, child.stderr!]) {
      readline.createInterface({ input: stream }).on("line", (l) => this.output.push(l));
    }
    this.child = child;
    return child;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, "exit");
    child.kill("SIGKILL");
    await exited;
  }
}

/**
 * ffmpeg serving a live MJPEG stream over HTTP (multipart/x-mixed-replace, as IP cameras do): a test pattern at the
 * given size and rate. ffmpeg's HTTP server takes one client; when that client goes, ffmpeg ends, like a camera
 * dropping the stream. `start()` again serves on the same port.
 */
export class MjpegHttpCamera extends CameraProcess {
  private constructor(
    readonly port: number,
    private readonly size: string,
    private readonly fps: number,
  ) {
    super();
  }

  static async create(width: number, height: number, fps: number): Promise<MjpegHttpCamera> {
    return new MjpegHttpCamera(await freePort(), `${width}x${height}`, fps);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/stream.mjpg`;
  }

  start(): void {
    this.launch(FFMPEG!, [
      ...["-hide_banner", "-loglevel", "error", "-re", "-f", "lavfi"],
      ...["-i", `testsrc2=size=${this.size}:rate=${this.fps}`],
      ...["-c:v", "mjpeg", "-q:v", "5", "-f", "mpjpeg", "-listen", "1", this.url],
    ]);
  }
}

/** GStreamer's RTSP server (test/processes/rtspServer.py) streaming H.264; resolves once it accepts clients. */
export class RtspCamera extends CameraProcess {
  url = "";

  static async start(width: number, height: number, fps: number): Promise<RtspCamera> {
    const camera = new RtspCamera();
    const child = camera.launch(PYTHON, [
      path.join(__dirname, "rtspServer.py"),
      String(width),
      String(height),
      String(fps),
    ]);
    const deadline = Date.now() + 20_000;
    while (!camera.url) {
      const ready = camera.output.find((l) => l.startsWith("ready "));
      if (ready) camera.url = ready.slice(6);
      else if (child.exitCode !== null || Date.now() > deadline) {
        throw new Error(`the RTSP server did not start:\n${camera.output.join("\n")}`);
      } else await new Promise((r) => setTimeout(r, 50));
    }
    return camera;
  }
}
