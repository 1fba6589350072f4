import Ajv, { ErrorObject } from "ajv";
import { z } from "zod";
import inferenceErrorSchema from "./inferenceError.schema.json";
import inferenceResultSchema from "./inferenceResult.schema.json";

/**
 * The MQTT messages the edge detector publishes. The JSON Schemas next to this file are the authority (a viewer or
 * the offline run can validate against them without TypeScript); these types mirror them, and a test keeps the two
 * in step by validating what the detector really sends.
 */
export const INFERENCE_MESSAGE_SCHEMA_VERSION = 1;

/**
 * Minor version within schemaVersion 1 (docs/contracts.md, "Evolution"): 1 added source, capturedAt, partId, line,
 * station and framesSkipped to results, NO_FRAME, partId and source to errors. A consumer ignores fields it does not
 * know, so a consumer of an older minor reads these messages unchanged.
 */
export const INFERENCE_MESSAGE_SCHEMA_MINOR = 1;

/** Where results go unless configured otherwise. */
export const DEFAULT_RESULT_TOPIC = "qualityinspection/scratch-detection";

/** Error messages go to a sub-topic of the result topic. */
/** Topic names results are published to: no wildcards, no empty levels, not AWS IoT's reserved $ topics. */
export const mqttTopicSchema = z
  .string()
  .regex(/^(?!\$)[^#+/\s]+(\/[^#+/\s]+)*$/, "must be an MQTT topic without wildcards, empty levels or a leading $")
  .max(200);

export function errorTopicOf(resultTopic: string): string {
  return `${resultTopic}/errors`;
}

/** `[x1, y1, x2, y2]` in pixels of the original image. */
export type Box = [number, number, number, number];

/** Where a frame came from and which part it shows (schemaMinor 1). */
export interface FrameFacts {
  source?: string;
  capturedAt?: string;
  partId?: string;
  line?: string;
  station?: string;
  framesSkipped?: number;
}

export interface InferenceResult extends FrameFacts {
  schemaVersion: 1;
  schemaMinor?: number;
  messageId: string;
  timestamp: string;
  image_name: string;
  /** Exactly one entry: [class ids, scores, boxes], equally long, highest score first. */
  inference_results: [[number[], number[], Box[]]];
  imageWidth: number;
  imageHeight: number;
  classNames: string[];
  modelName: string;
  modelVersion: string;
  inferenceMs: number;
  timingsMs: { decode: number; preprocess: number; run: number; postprocess: number };
  thingName: string;
  /** The image was queued for upload to the data lake for labeling. Absent (older detectors) means false. */
  sentForLabeling?: boolean;
}

export type InferenceErrorCode =
  "IMAGE_UNREADABLE" | "IMAGE_TOO_LARGE" | "INFERENCE_FAILED" | "OUTBOX_DROPPED" | "NO_FRAME";

export interface InferenceError {
  schemaVersion: 1;
  schemaMinor?: number;
  messageId: string;
  timestamp: string;
  thingName: string;
  code: InferenceErrorCode;
  message: string;
  image_name?: string;
  droppedTotal?: number;
  /** OUTBOX_DROPPED: dropped since the previous notice, and when those had been queued. */
  dropped?: number;
  droppedFrom?: string;
  droppedTo?: string;
  partId?: string;
  source?: string;
}

/**
 * Validators of one version of the two schemas. `exact`: the fields that version knows and nothing else (what a
 * producer must send). `tolerant`, the consumer's rule: fields it does not know are removed before validation, i.e.
 * ignored.
 */
export function messageValidators(resultSchema: object, errorSchema: object) {
  const exact = new Ajv({ allErrors: true });
  const tolerant = new Ajv({ allErrors: true, removeAdditional: true });
  return {
    exact: { result: exact.compile(resultSchema), error: exact.compile(errorSchema) },
    tolerant: { result: tolerant.compile(resultSchema), error: tolerant.compile(errorSchema) },
  };
}
export type MessageValidators = ReturnType<typeof messageValidators>;
const validators = messageValidators(inferenceResultSchema, inferenceErrorSchema);

export interface ValidationMode {
  /** Refuse unknown fields (producers). Without it they are ignored, as every consumer must within a major version. */
  exact?: boolean;
  /** Another version's schemas, e.g. a consumer built before a field was added (tests across versions). */
  against?: MessageValidators;
}

function describe(errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((e) => `${e.instancePath || "(message)"} ${e.message ?? "is invalid"}`);
}

/**
 * Problems with a would-be result message; empty when it is valid. Besides the schema, checks what JSON Schema
 * cannot say: the three detection arrays are equally long, boxes are ordered, class ids index `classNames`.
 */
export function inferenceResultProblems(message: unknown, mode: ValidationMode = {}): string[] {
  const resultValidator = (mode.against ?? validators)[mode.exact ? "exact" : "tolerant"].result;
  // The tolerant validator removes what it ignores: it works on a copy, the caller's message stays whole.
  const copy = mode.exact ? message : structuredClone(message);
  if (!resultValidator(copy)) return describe(resultValidator.errors);
  const result = copy as unknown as InferenceResult;
  const [classes, scores, boxes] = result.inference_results[0];
  const problems: string[] = [];
  if (classes.length !== scores.length || classes.length !== boxes.length) {
    problems.push(
      `/inference_results/0 must hold equally long classes, scores and boxes (got ${classes.length}, ${scores.length}, ${boxes.length})`,
    );
  }
  boxes.forEach(([x1, y1, x2, y2], i) => {
    if (x1 > x2 || y1 > y2) problems.push(`/inference_results/0/2/${i} must have x1 <= x2 and y1 <= y2`);
    if (x2 > result.imageWidth || y2 > result.imageHeight) {
      problems.push(`/inference_results/0/2/${i} must lie inside the ${result.imageWidth}x${result.imageHeight} image`);
    }
  });
  classes.forEach((c, i) => {
    if (c >= result.classNames.length) problems.push(`/inference_results/0/0/${i} must index classNames`);
  });
  return problems;
}

export function inferenceErrorProblems(message: unknown, mode: ValidationMode = {}): string[] {
  const errorValidator = (mode.against ?? validators)[mode.exact ? "exact" : "tolerant"].error;
  const copy = mode.exact ? message : structuredClone(message);
  if (errorValidator(copy)) return [];
  // Codes are added within a major version: a consumer reads a code it does not know as an error all the same.
  const code = (copy as { code?: unknown }).code;
  const unknownCode = !mode.exact && typeof code === "string" && /^[A-Z][A-Z_]{0,63}$/.test(code);
  const errors = (errorValidator.errors ?? []).filter(
    (e) => !(unknownCode && e.instancePath === "/code" && e.keyword === "enum"),
  );
  return describe(errors);
}
