/**
 * Where images come from. Every source hands the detector the same thing — a frame with a name, the moment it was
 * captured and its bytes — so the detector, the outbox and the uncertainty sampling do not know which camera it was.
 */
export const SOURCE_KINDS = ["folder-replay", "folder-watch", "http-snapshot", "stream"] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];

export interface Frame {
  /** `image_name` of the result: the file name, or `<kind>-<capture time>.jpg` for a camera. */
  name: string;
  /** `Date.now()` when the frame was captured (a file: when it was found complete). */
  capturedAt: number;
  /** The image bytes (JPEG from cameras); rejects when a file cannot be read. */
  read(): Promise<Buffer>;
  /** Called once the frame's result or error is in the outbox: a watched file is moved away then. */
  settle?(outcome: "inspected" | "failed"): Promise<void>;
  /** A messageId that stays the same when the same frame is inspected again (a watched file after a crash). */
  messageId?: string;
}

/** Nothing to inspect right now, and why (for the log). */
export interface Idle {
  idle: string;
}

/** The next frame, nothing yet (`Idle`), or `"end"` when a `--once` source has given every frame it has. */
export type Pull = Frame | Idle | "end";

export interface ImageSource {
  readonly kind: SourceKind;
  /** One line for the start-up summary, e.g. `stream rtsp://cam/1 (tcp) at 5 frames/s`. */
  readonly description: string;
  /** True once a `--once` source has handed out its last frame, so the loop need not wait before asking again. */
  readonly ended?: boolean;
  /**
   * The next frame. Throws (a `SourceProblem` or any error) when the source cannot deliver: the loop logs the problem
   * once, backs off and asks again.
   */
  next(signal: AbortSignal): Promise<Pull>;
  /** What keeps the source from working on this device (e.g. ffmpeg missing), for `--check`; undefined when fine. */
  check?(): string | undefined;
  /** Frames the source dropped because inspection was slower than the camera, since the last call. */
  takeSkipped?(): number;
  close(): Promise<void>;
}

/** A source that cannot deliver right now; `message` is what the log says (the same problem, the same text). */
export class SourceProblem extends Error {
  override name = "SourceProblem";
}

export const isFrame = (pull: Pull): pull is Frame => typeof pull === "object" && "read" in pull;

/** `http-snapshot-2026-12-05T08-07-47.123Z.jpg`: a camera frame's name, sortable, without path separators. */
export function cameraFrameName(kind: SourceKind, capturedAt: number): string {
  return `${kind}-${new Date(capturedAt).toISOString().replace(/:/g, "-")}.jpg`;
}
