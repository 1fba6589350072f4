import { randomUUID } from "node:crypto";
import {
  Box,
  FrameFacts,
  INFERENCE_MESSAGE_SCHEMA_MINOR,
  INFERENCE_MESSAGE_SCHEMA_VERSION,
  InferenceError,
  InferenceErrorCode,
  InferenceResult,
} from "../../contracts/inferenceMessages";
import { Inspection } from "./detector";
import { ModelSpec } from "./model";

const round = (value: number, decimals: number) => Math.round(value * 10 ** decimals) / 10 ** decimals;

export interface MessageContext {
  thingName: string;
  now?: Date;
  messageId?: string;
  /** Where the frame came from and which part it shows; absent fields are left out of the message. */
  frame?: FrameFacts;
}

/** The frame's facts without the ones that are not known. */
const known = (facts: FrameFacts = {}): FrameFacts =>
  Object.fromEntries(Object.entries(facts).filter(([, v]) => v !== undefined)) as FrameFacts;

/** The result message of one inspected image (contracts/inferenceResult.schema.json). */
export function resultMessage(
  imageName: string,
  inspection: Inspection,
  model: Pick<ModelSpec, "name" | "version" | "classes">,
  context: MessageContext,
): InferenceResult {
  const timings = {
    decode: round(inspection.timings.decode, 2),
    preprocess: round(inspection.timings.preprocess, 2),
    run: round(inspection.timings.run, 2),
    postprocess: round(inspection.timings.postprocess, 2),
  };
  return {
    schemaVersion: INFERENCE_MESSAGE_SCHEMA_VERSION,
    schemaMinor: INFERENCE_MESSAGE_SCHEMA_MINOR,
    messageId: context.messageId ?? randomUUID(),
    timestamp: (context.now ?? new Date()).toISOString(),
    image_name: imageName,
    inference_results: [
      [
        inspection.detections.map((d) => d.classId),
        inspection.detections.map((d) => round(d.score, 4)),
        inspection.detections.map((d) => d.box.map((v) => round(v, 2)) as Box),
      ],
    ],
    imageWidth: inspection.width,
    imageHeight: inspection.height,
    classNames: model.classes,
    modelName: model.name,
    modelVersion: model.version,
    inferenceMs: round(timings.decode + timings.preprocess + timings.run + timings.postprocess, 2),
    timingsMs: timings,
    thingName: context.thingName,
    // The app sets it once the image is queued for upload (see feedback.ts).
    sentForLabeling: false,
    ...known(context.frame),
  };
}

/** An error message for `<topic>/errors` (contracts/inferenceError.schema.json). */
export function errorMessage(
  code: InferenceErrorCode,
  message: string,
  context: MessageContext,
  details: Pick<InferenceError, "droppedTotal" | "dropped" | "droppedFrom" | "droppedTo"> & { imageName?: string } = {},
): InferenceError {
  const { partId, source } = context.frame ?? {};
  return {
    schemaVersion: INFERENCE_MESSAGE_SCHEMA_VERSION,
    schemaMinor: INFERENCE_MESSAGE_SCHEMA_MINOR,
    messageId: context.messageId ?? randomUUID(),
    timestamp: (context.now ?? new Date()).toISOString(),
    thingName: context.thingName,
    code,
    message,
    ...(details.imageName === undefined ? {} : { image_name: details.imageName }),
    ...(details.droppedTotal === undefined ? {} : { droppedTotal: details.droppedTotal }),
    ...(details.dropped === undefined
      ? {}
      : { dropped: details.dropped, droppedFrom: details.droppedFrom, droppedTo: details.droppedTo }),
    ...known({ partId, source }),
  };
}

/** One line per image for the log: name, size, what was found, how long it took. */
export function summaryLine(result: InferenceResult, queued: number): string {
  const [classes, scores] = result.inference_results[0];
  const found =
    classes.length === 0
      ? "nothing found"
      : classes.map((c, i) => `${result.classNames[c]} ${scores[i].toFixed(2)}`).join(", ");
  const sent = result.sentForLabeling ? ", sent for labeling" : "";
  const part = result.partId ? `part ${result.partId} ` : "";
  return `${part}${result.image_name} ${result.imageWidth}x${result.imageHeight}: ${found} (${result.inferenceMs.toFixed(1)} ms, ${queued} queued${sent})`;
}
