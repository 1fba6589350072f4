import {
  Box,
  errorTopicOf,
  InferenceError,
  InferenceErrorCode,
  InferenceResult,
  inferenceErrorProblems,
  inferenceResultProblems,
} from "../../contracts/inferenceMessages";
import { PartOutcomes } from "./controlChart";

/**
 * What the viewer knows, kept by the server and streamed to pages: the recent results, the recent problems (the
 * device's error messages and messages that break the contract), and totals since the viewer started. Pure: the
 * MQTT client feeds it payloads, the HTTP server reads snapshots and updates.
 */

export interface Detection {
  classId: number;
  className: string;
  score: number;
  box: Box;
}

export interface ResultEntry {
  kind: "result";
  messageId: string;
  receivedAt: string;
  timestamp: string;
  imageName: string;
  imageWidth: number;
  imageHeight: number;
  thingName: string;
  modelName: string;
  modelVersion: string;
  inferenceMs: number;
  detections: Detection[];
  /** Highest score, null without detections. */
  maxScore: number | null;
  /** No detection scored at or above the pass threshold. */
  passed: boolean;
  /** Triggered capture: the part inspected (schemaMinor 1). */
  partId?: string;
  /** The image source that delivered the frame (schemaMinor 1). */
  source?: string;
}

export interface DeviceErrorEntry {
  kind: "deviceError";
  messageId: string;
  receivedAt: string;
  timestamp: string;
  thingName: string;
  code: InferenceErrorCode;
  message: string;
  imageName?: string;
  droppedTotal?: number;
  partId?: string;
}

/** A message on one of our topics that is not JSON or breaks its schema: shown, never dropped silently. */
export interface InvalidEntry {
  kind: "invalid";
  receivedAt: string;
  topic: string;
  problems: string[];
  /** The payload as text, cut to `PAYLOAD_EXCERPT_CHARS`. */
  payload: string;
}

export type ProblemEntry = DeviceErrorEntry | InvalidEntry;

export interface Totals {
  /** Distinct results received. */
  inspected: number;
  failed: number;
  /** failed / inspected; null before the first result. */
  defectRate: number | null;
  deviceErrors: number;
  invalid: number;
  /** Repeats of a message already received (at-least-once delivery), dropped by messageId. */
  duplicates: number;
}

export interface ViewerSettings {
  topic: string;
  errorTopic: string;
  passThreshold: number;
  /** How many results and how many problems are kept for pages. */
  history: number;
  /** Whether the server has an images folder to serve from. */
  imagesServed: boolean;
}

export interface Snapshot {
  settings: ViewerSettings;
  totals: Totals;
  /** Newest first. */
  results: ResultEntry[];
  /** Newest first. */
  problems: ProblemEntry[];
}

export type Update =
  | { event: "result"; entry: ResultEntry; totals: Totals }
  | { event: "problem"; entry: ProblemEntry; totals: Totals }
  | { event: "duplicate"; messageId: string; totals: Totals };

export const PAYLOAD_EXCERPT_CHARS = 2000;
/** Repeats arrive right after the original (a lost PUBACK), so remembering the last ids is enough. */
export const REMEMBERED_MESSAGE_IDS = 10_000;

export class ViewerState {
  private readonly results: ResultEntry[] = [];
  private readonly problems: ProblemEntry[] = [];
  private readonly seen = new Set<string>();
  private readonly totals: Totals = {
    inspected: 0,
    failed: 0,
    defectRate: null,
    deviceErrors: 0,
    invalid: 0,
    duplicates: 0,
  };

  /** Every device's parts in order, for the control chart. */
  readonly parts = new PartOutcomes();

  constructor(readonly settings: Omit<ViewerSettings, "errorTopic">) {}

  snapshot(): Snapshot {
    return {
      settings: { ...this.settings, errorTopic: errorTopicOf(this.settings.topic) },
      totals: { ...this.totals },
      results: [...this.results],
      problems: [...this.problems],
    };
  }

  /** Takes one MQTT message on the result or the error topic; returns what changed for the pages. */
  receive(topic: string, payload: Uint8Array, receivedAt = new Date()): Update {
    const at = receivedAt.toISOString();
    const text = Buffer.from(payload).toString("utf8");
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch (error) {
      return this.invalid(topic, text, [`payload is not JSON: ${(error as Error).message}`], at);
    }
    const isError = topic === errorTopicOf(this.settings.topic);
    const problems = isError ? inferenceErrorProblems(message) : inferenceResultProblems(message);
    if (problems.length > 0) return this.invalid(topic, text, problems, at);

    const { messageId } = message as { messageId: string };
    if (this.seen.has(messageId)) {
      this.totals.duplicates += 1;
      return { event: "duplicate", messageId, totals: { ...this.totals } };
    }
    this.remember(messageId);
    if (isError) {
      this.totals.deviceErrors += 1;
      const entry = deviceErrorEntry(message as InferenceError, at);
      keepNewest(this.problems, entry, this.settings.history);
      return { event: "problem", entry, totals: { ...this.totals } };
    }
    const entry = resultEntry(message as InferenceResult, this.settings.passThreshold, at);
    this.totals.inspected += 1;
    if (!entry.passed) this.totals.failed += 1;
    this.totals.defectRate = this.totals.failed / this.totals.inspected;
    this.parts.add(entry.thingName, !entry.passed);
    keepNewest(this.results, entry, this.settings.history);
    return { event: "result", entry, totals: { ...this.totals } };
  }

  private invalid(topic: string, text: string, problems: string[], receivedAt: string): Update {
    this.totals.invalid += 1;
    const payload = text.length > PAYLOAD_EXCERPT_CHARS ? `${text.slice(0, PAYLOAD_EXCERPT_CHARS)}…` : text;
    const entry: InvalidEntry = { kind: "invalid", receivedAt, topic, problems, payload };
    keepNewest(this.problems, entry, this.settings.history);
    return { event: "problem", entry, totals: { ...this.totals } };
  }

  private remember(messageId: string): void {
    this.seen.add(messageId);
    if (this.seen.size > REMEMBERED_MESSAGE_IDS) {
      // A Set iterates in insertion order: the first id is the oldest.
      this.seen.delete(this.seen.values().next().value as string);
    }
  }
}

function keepNewest<T>(list: T[], entry: T, limit: number): void {
  list.unshift(entry);
  if (list.length > limit) list.length = limit;
}

/** Fail = any detection scoring at or above the threshold. */
export function resultEntry(result: InferenceResult, passThreshold: number, receivedAt: string): ResultEntry {
  const [classes, scores, boxes] = result.inference_results[0];
  const detections = classes.map((classId, i) => ({
    classId,
    className: result.classNames[classId],
    score: scores[i],
    box: boxes[i],
  }));
  const maxScore = scores.length === 0 ? null : Math.max(...scores);
  return {
    kind: "result",
    messageId: result.messageId,
    receivedAt,
    timestamp: result.timestamp,
    imageName: result.image_name,
    imageWidth: result.imageWidth,
    imageHeight: result.imageHeight,
    thingName: result.thingName,
    modelName: result.modelName,
    modelVersion: result.modelVersion,
    inferenceMs: result.inferenceMs,
    detections,
    maxScore,
    passed: maxScore === null || maxScore < passThreshold,
    ...(result.partId === undefined ? {} : { partId: result.partId }),
    ...(result.source === undefined ? {} : { source: result.source }),
  };
}

function deviceErrorEntry(error: InferenceError, receivedAt: string): DeviceErrorEntry {
  return {
    kind: "deviceError",
    messageId: error.messageId,
    receivedAt,
    timestamp: error.timestamp,
    thingName: error.thingName,
    code: error.code,
    message: error.message,
    ...(error.image_name === undefined ? {} : { imageName: error.image_name }),
    ...(error.droppedTotal === undefined ? {} : { droppedTotal: error.droppedTotal }),
    ...(error.partId === undefined ? {} : { partId: error.partId }),
  };
}
