import { promises as fs } from "node:fs";
import http from "node:http";
import path from "node:path";
import { z } from "zod";
import { annotationSchema } from "../../contracts/labelRecord";
import { imageContentType } from "../../lib/imageFiles";
import type { BatchSession } from "./batch";
import { BadRequestError, BodyTooLargeError, LabelerError } from "./errors";
import type { Predrawer } from "./predraw";

/**
 * The labeling page's server: its three static files, the batch's images, and a small JSON API — the batch and its
 * progress, the next image (claimed for the person, with the model's boxes or the label already saved), saving one
 * image's label, and rejecting the batch. Every refusal is JSON `{ error, message }`, `error` naming the error class.
 */

const PUBLIC_DIR = path.join(__dirname, "..", "public");
const STATIC_FILES: Record<string, { file: string; type: string }> = {
  "/": { file: "index.html", type: "text/html; charset=utf-8" },
  "/labeler.js": { file: "labeler.js", type: "text/javascript; charset=utf-8" },
  "/labeler.css": { file: "labeler.css", type: "text/css; charset=utf-8" },
};
const SECURITY_HEADERS = {
  "X-Content-Type-Options": "nosniff",
  "Content-Security-Policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; frame-ancestors 'none'",
  "Referrer-Policy": "no-referrer",
};

/** A label is a few hundred bytes; anything much bigger is not one. */
export const MAX_BODY_BYTES = 64 * 1024;

const labelerName = z.string().regex(/^[\w.@+-]{1,64}$/, "must be 1 to 64 letters, digits or . _ @ + -");
const saveSchema = z.strictObject({
  labeler: labelerName,
  width: z.number().int().positive().max(100_000),
  height: z.number().int().positive().max(100_000),
  annotations: z.array(annotationSchema).max(200),
});
const nextSchema = z.strictObject({ labeler: labelerName });
const rejectSchema = z.strictObject({ labeler: labelerName, reason: z.string().trim().min(1).max(1000) });

export interface LabelerHttpOptions {
  session: BatchSession;
  predrawer: Predrawer;
  /** The name the page labels as unless it says otherwise (the person running the app). */
  labeler: string;
}

export function createLabelerServer(options: LabelerHttpOptions): http.Server {
  return http.createServer((request, response) => {
    route(options, request, response).catch((error: Error) => {
      if (response.headersSent) {
        response.destroy();
        return;
      }
      const status = error instanceof LabelerError ? error.status : 500;
      sendJson(response, status, { error: error.name, message: error.message });
    });
  });
}

async function route(options: LabelerHttpOptions, request: http.IncomingMessage, response: http.ServerResponse) {
  const { session } = options;
  const { pathname } = new URL(request.url ?? "/", "http://labeler");
  const method = request.method ?? "GET";
  const page = STATIC_FILES[pathname];
  if (page && method === "GET") {
    send(response, 200, page.type, await fs.readFile(path.join(PUBLIC_DIR, page.file)));
  } else if (pathname === "/api/batch" && method === "GET") {
    const { jobName } = session.batch;
    const progress = await session.progress(options.labeler);
    sendJson(response, 200, { jobName, classes: session.classes, labeler: options.labeler, progress });
  } else if (pathname === "/api/next" && method === "POST") {
    const { labeler } = parseBody(nextSchema, await readBody(request));
    const next = await session.next(labeler);
    if (!next) {
      sendJson(response, 200, { done: true, progress: await session.progress(labeler) });
      return;
    }
    const bytes = await session.imageBytes(next.image);
    const predrawn = await options.predrawer.predraw(bytes);
    sendJson(response, 200, {
      image: { id: next.image.id, key: next.image.key, url: `/images/${next.image.id}`, ...predrawn },
      expiresAt: next.expiresAt,
      progress: await session.progress(labeler),
    });
  } else if (pathname.startsWith("/api/labels/") && method === "PUT") {
    const imageId = pathname.slice("/api/labels/".length);
    session.image(imageId);
    const { labeler, ...label } = parseBody(saveSchema, await readBody(request));
    sendJson(response, 200, { progress: await session.save(imageId, labeler, label) });
  } else if (pathname === "/api/reject" && method === "POST") {
    const { labeler, reason } = parseBody(rejectSchema, await readBody(request));
    await session.reject(labeler, reason);
    sendJson(response, 200, { progress: await session.progress(labeler) });
  } else if (pathname.startsWith("/images/") && method === "GET") {
    const image = session.image(pathname.slice("/images/".length));
    const bytes = await session.imageBytes(image);
    send(response, 200, imageContentType(image.key) ?? "application/octet-stream", bytes);
  } else if (pathname === "/favicon.ico") {
    response.writeHead(204, SECURITY_HEADERS).end();
  } else {
    sendJson(response, 404, { error: "NotFound", message: `no ${method} ${pathname.slice(0, 100)}` });
  }
}

/** The body as JSON, refusing more than MAX_BODY_BYTES without reading the rest. */
async function readBody(request: http.IncomingMessage): Promise<unknown> {
  const declared = Number(request.headers["content-length"] ?? 0);
  if (declared > MAX_BODY_BYTES) throw new BodyTooLargeError(MAX_BODY_BYTES);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new BodyTooLargeError(MAX_BODY_BYTES);
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new BadRequestError("the request body is not JSON");
  }
}

function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.output<T> {
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new BadRequestError(`${issue.path.join(".") || "the body"} ${issue.message}`);
  }
  return parsed.data;
}

function sendJson(response: http.ServerResponse, status: number, body: unknown): void {
  // A refused body is not read to its end: close the connection rather than read it.
  if (status === 413) response.setHeader("Connection", "close");
  send(response, status, "application/json; charset=utf-8", JSON.stringify(body));
}

function send(response: http.ServerResponse, status: number, type: string, body: string | Buffer): void {
  response.writeHead(status, {
    ...SECURITY_HEADERS,
    "Content-Type": type,
    "Content-Length": Buffer.byteLength(body),
    "Cache-Control": "no-store",
  });
  response.end(body);
}
