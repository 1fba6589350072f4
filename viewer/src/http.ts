import { createReadStream, promises as fs } from "node:fs";
import http from "node:http";
import path from "node:path";
import { imageContentType } from "../../lib/imageFiles";
import { BrokerStatus } from "./broker";
import { DEFAULT_WINDOW, MAX_WINDOW, MIN_WINDOW, PChart } from "./controlChart";
import { Snapshot, Update } from "./state";

/**
 * The page's server: its three static files, the images of the camera folder, and `/events`, a Server-Sent Events
 * stream that starts with a snapshot of everything the viewer knows (so a new or reconnected page is complete) and
 * continues with each update.
 */

const PUBLIC_DIR = path.join(__dirname, "..", "public");
const STATIC_FILES: Record<string, { file: string; type: string }> = {
  "/": { file: "index.html", type: "text/html; charset=utf-8" },
  "/viewer.js": { file: "viewer.js", type: "text/javascript; charset=utf-8" },
  "/viewer.css": { file: "viewer.css", type: "text/css; charset=utf-8" },
  "/control-chart": { file: "control-chart.html", type: "text/html; charset=utf-8" },
  "/control-chart.js": { file: "control-chart.js", type: "text/javascript; charset=utf-8" },
};

const SECURITY_HEADERS = {
  "X-Content-Type-Options": "nosniff",
  "Content-Security-Policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; frame-ancestors 'none'",
  "Referrer-Policy": "no-referrer",
};

/** EventSource waits this long before reconnecting after the stream broke. */
const RETRY_MS = 1000;
/** A comment line now and then keeps idle streams open through proxies. */
const HEARTBEAT_MS = 15_000;

/**
 * The file in `dir` that `name` (one path segment from the URL, already decoded) names, when it is an image file
 * directly in that folder; undefined otherwise. Symbolic links inside the folder are followed, as the detector does.
 */
export async function imageFileIn(dir: string, name: string): Promise<{ file: string; type: string } | undefined> {
  if (name !== path.basename(name) || name.includes("\\") || name.includes("\0")) return undefined;
  const type = imageContentType(name);
  if (!type) return undefined;
  const file = path.join(dir, name);
  const stat = await fs.stat(file).catch(() => undefined);
  return stat?.isFile() ? { file, type } : undefined;
}

export class ViewerHttp {
  readonly server: http.Server;
  private readonly streams = new Set<http.ServerResponse>();
  private readonly heartbeat: NodeJS.Timeout;

  constructor(
    private readonly snapshot: () => { snapshot: Snapshot; broker: BrokerStatus },
    private readonly imagesDir: string | undefined,
    /** The control charts for a window of parts (viewer/src/controlChart.ts). */
    private readonly charts: (window: number) => PChart[] = () => [],
  ) {
    this.server = http.createServer((request, response) => {
      this.handle(request, response).catch((error: Error) => {
        if (!response.headersSent) send(response, 500, "text/plain; charset=utf-8", `${error.message}\n`);
        else response.destroy();
      });
    });
    this.heartbeat = setInterval(() => this.write(": keep-alive\n\n"), HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  /** Sends one event to every open page. */
  broadcast(event: Update["event"] | "broker", data: unknown): void {
    this.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    for (const stream of this.streams) stream.end();
    this.streams.clear();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  private write(chunk: string): void {
    for (const stream of this.streams) stream.write(chunk);
  }

  private async handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    if (request.method !== "GET" && request.method !== "HEAD") {
      response.setHeader("Allow", "GET, HEAD");
      send(response, 405, "text/plain; charset=utf-8", "only GET and HEAD\n");
      return;
    }
    const { pathname } = new URL(request.url ?? "/", "http://viewer");
    const page = STATIC_FILES[pathname];
    if (page) {
      send(response, 200, page.type, await fs.readFile(path.join(PUBLIC_DIR, page.file)));
      return;
    }
    if (pathname === "/favicon.ico") {
      response.writeHead(204, SECURITY_HEADERS).end();
      return;
    }
    if (pathname === "/control-chart.json") {
      this.sendCharts(new URL(request.url ?? "/", "http://viewer").searchParams.get("window"), response);
      return;
    }
    if (pathname === "/events") {
      this.openStream(request, response);
      return;
    }
    if (pathname.startsWith("/images/") && this.imagesDir) {
      let name: string;
      try {
        name = decodeURIComponent(pathname.slice("/images/".length));
      } catch {
        send(response, 400, "text/plain; charset=utf-8", "bad image name\n");
        return;
      }
      const image = await imageFileIn(this.imagesDir, name);
      if (image) {
        // The camera may write a new image under the same name: never cache.
        response.writeHead(200, { ...SECURITY_HEADERS, "Content-Type": image.type, "Cache-Control": "no-store" });
        if (request.method === "HEAD") response.end();
        else
          createReadStream(image.file)
            .on("error", () => response.destroy())
            .pipe(response);
        return;
      }
    }
    send(response, 404, "text/plain; charset=utf-8", "not found\n");
  }

  /** `?window=` parts per subgroup, DEFAULT_WINDOW without one; anything else but a whole number in range is a 400. */
  private sendCharts(windowParam: string | null, response: http.ServerResponse): void {
    const window = windowParam === null ? DEFAULT_WINDOW : Number(windowParam);
    if (!/^\d{1,4}$/.test(windowParam ?? String(DEFAULT_WINDOW)) || window < MIN_WINDOW || window > MAX_WINDOW) {
      const must = `window must be a whole number from ${MIN_WINDOW} to ${MAX_WINDOW}`;
      send(response, 400, "text/plain; charset=utf-8", `${must} (got ${JSON.stringify(windowParam)})\n`);
      return;
    }
    send(response, 200, "application/json; charset=utf-8", JSON.stringify({ window, charts: this.charts(window) }));
  }

  private openStream(request: http.IncomingMessage, response: http.ServerResponse): void {
    response.writeHead(200, {
      ...SECURITY_HEADERS,
      "Content-Type": "text/event-stream; charset=utf-8",
      "Cache-Control": "no-store",
      Connection: "keep-alive",
      "X-Accel-Buffering": "no",
    });
    if (request.method === "HEAD") {
      response.end();
      return;
    }
    const { snapshot, broker } = this.snapshot();
    response.write(`retry: ${RETRY_MS}\n\n`);
    response.write(`event: snapshot\ndata: ${JSON.stringify({ ...snapshot, broker })}\n\n`);
    this.streams.add(response);
    request.socket.setNoDelay(true);
    response.on("close", () => this.streams.delete(response));
  }
}

function send(response: http.ServerResponse, status: number, type: string, body: string | Buffer): void {
  response.writeHead(status, {
    ...SECURITY_HEADERS,
    "Content-Type": type,
    "Content-Length": Buffer.byteLength(body),
    "Cache-Control": "no-cache",
  });
  response.end(response.req.method === "HEAD" ? undefined : body);
}
