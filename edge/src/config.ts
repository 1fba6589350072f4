import os from "node:os";
import { z } from "zod";
import {
  clientCertificateFields,
  fieldProblem,
  FieldProblems,
  FlagField,
  flagFieldWith,
  flagName,
  pemFile,
} from "../../lib/fields";
import {
  bool,
  decimal,
  existingPath,
  folderPath,
  scoreBand,
  serverUrl,
  wholeNumber,
  widthByHeight,
} from "../../lib/fieldValues";
import { DEFAULT_RESULT_TOPIC, mqttTopicSchema } from "../../contracts/inferenceMessages";
import { GREENGRASS_IPC_ENV, insideGreengrass } from "./transports/greengrassIpc";
import { MQTT_PROTOCOLS } from "./transports/mqtt";
import { AWS_REGION, THING_NAME } from "../../contracts/awsNames";
import { DEFAULT_MAX_IMAGE_PIXELS } from "./imageHeader";
import { sourceConfigFields, sourceProblems } from "./sources/config";

/**
 * The edge detector's configuration: one schema, three sources. CLI flags beat environment variables, which beat
 * the defaults. Inside Greengrass the component configuration arrives as environment variables: the recipe sets
 * `QI_EDGE_<NAME>` to `{configuration:/<name>}` for every field here (see `edge/recipe.ts`), so the keys of the
 * component configuration are the field names below.
 */

/** Where images sent back for labeling go. */
export type UploadTarget = { kind: "off" } | { kind: "s3"; bucket: string } | { kind: "folder"; dir: string };

const S3_URI = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/?$/;
const uploadTarget = z
  .string()
  .min(1)
  .refine((v) => v === "off" || S3_URI.test(v) || (!v.includes("://") && folderPath.safeParse(v).success))
  .transform((v): UploadTarget => {
    if (v === "off") return { kind: "off" };
    const bucket = S3_URI.exec(v)?.[1];
    return bucket ? { kind: "s3", bucket } : { kind: "folder", dir: v };
  });

/** The largest model input side a bare .onnx may be fed (8192² × 3 floats is 768 MiB already). */
const MAX_INPUT_SIDE = 8192;

/** A default may also be read from the environment when parsing. */
type EnvDefault = (env: NodeJS.ProcessEnv) => string | undefined;
type EdgeField = FlagField<z.ZodType<unknown, string>, EnvDefault>;
const field = flagFieldWith<EnvDefault>();

export const edgeConfigFields = {
  model: field({
    flag: "--model <path>",
    description: "model folder (model.json + .onnx) or a .onnx file",
    must: "be a path to a model folder or a .onnx file",
    schema: z.string().min(1),
  }),
  ...sourceConfigFields,
  imagesDir: field({
    flag: "--images <dir>",
    description: "folder-replay and folder-watch: the camera folder",
    must: "be an existing folder",
    schema: existingPath("directory"),
  }),
  intervalSeconds: field({
    flag: "--interval <seconds>",
    description: "seconds from one image to the next",
    must: "be a number of seconds from 0 to 86400",
    schema: decimal(0, 86_400),
    fallback: "5",
  }),
  once: field({
    flag: "--once",
    description: "inspect each image once, deliver, exit",
    must: "be true or false",
    schema: bool,
    fallback: "false",
  }),
  topic: field({
    flag: "--topic <topic>",
    description: "result topic; errors go to <topic>/errors",
    must: "be an MQTT topic without wildcards, empty levels or a leading $ (at most 200 characters)",
    schema: mqttTopicSchema,
    fallback: DEFAULT_RESULT_TOPIC,
  }),
  transport: field({
    flag: "--transport <name>",
    description: "mqtt or greengrass-ipc (default inside Greengrass: greengrass-ipc, else mqtt)",
    must: "be mqtt or greengrass-ipc",
    schema: z.enum(["mqtt", "greengrass-ipc"]),
    fallback: (env) => (insideGreengrass(env) ? "greengrass-ipc" : "mqtt"),
  }),
  broker: field({
    flag: "--broker <url>",
    description: "mqtt transport: mqtt://host[:port] (plain TCP) or mqtts://host[:port] (mutual TLS)",
    must: "be a URL like mqtt://127.0.0.1:1883 or mqtts://<endpoint>:8883",
    schema: serverUrl(/^mqtts?:\/\/[^/:\s]+(:\d{1,5})?\/?$/),
    fallback: "mqtt://127.0.0.1:1883",
  }),
  mqttVersion: field({
    flag: "--mqtt-version <version>",
    description: "mqtt transport: MQTT protocol version, 5 or 3.1.1 (for brokers without MQTT 5, e.g. aedes)",
    must: `be ${MQTT_PROTOCOLS.join(" or ")}`,
    schema: z.enum(MQTT_PROTOCOLS),
    fallback: "5",
  }),
  ...clientCertificateFields,
  ca: pemFile("--ca <file>", "mqtts: CA certificate to trust instead of the system's (PEM)"),
  thingName: field({
    flag: "--thing-name <name>",
    description: "device name in every message (default: AWS_IOT_THING_NAME, else the host name)",
    must: "be 1 to 128 letters, digits or :_-",
    schema: z.string().regex(THING_NAME),
    fallback: (env) => env.AWS_IOT_THING_NAME || os.hostname().replace(/[^a-zA-Z0-9:_-]/g, "-"),
  }),
  clientId: field({
    flag: "--client-id <id>",
    description: "MQTT client id (default: the thing name, as AWS IoT policies expect)",
    must: "be 1 to 128 characters without spaces",
    schema: z.string().regex(/^\S{1,128}$/),
  }),
  scoreThreshold: field({
    flag: "--score-threshold <0..1>",
    description: "minimum detection score (default: model.json's, else 0.5)",
    must: "be a number from 0 to 1",
    schema: decimal(0, 1),
  }),
  iouThreshold: field({
    flag: "--iou-threshold <0..1>",
    description: "yolov8 NMS overlap threshold (default: model.json's, else 0.45)",
    must: "be a number from 0 to 1",
    schema: decimal(0, 1),
  }),
  maxDetections: field({
    flag: "--max-detections <n>",
    description: "keep at most this many detections per image",
    must: "be a whole number from 1 to 1000",
    schema: wholeNumber(1, 1000),
    fallback: "100",
  }),
  maxImagePixels: field({
    flag: "--max-image-pixels <n>",
    description: "refuse images of more pixels (width × height) before decoding them: IMAGE_TOO_LARGE",
    must: "be a whole number of pixels from 1 to 1000000000",
    schema: wholeNumber(1, 1_000_000_000),
    fallback: String(DEFAULT_MAX_IMAGE_PIXELS),
  }),
  threads: field({
    flag: "--threads <n>",
    description: "onnxruntime threads (0: one per core)",
    must: "be a whole number from 0 to 256",
    schema: wholeNumber(0, 256),
    fallback: "0",
  }),
  layout: field({
    flag: "--layout <layout>",
    description: "output layout of a .onnx without model.json: auto, torchvision or yolov8",
    must: "be auto, torchvision or yolov8",
    schema: z.enum(["auto", "torchvision", "yolov8"]),
    fallback: "auto",
  }),
  inputSize: field({
    flag: "--input-size <size>",
    description: "input size of a .onnx without model.json and without a fixed input shape: 640 or 640x480",
    must: "be <n> or <width>x<height>, each from 1 to 8192, e.g. 640 or 640x480",
    // A 99999×99999 input would be a 120 GB tensor.
    schema: widthByHeight.refine(({ width, height }) => width <= MAX_INPUT_SIDE && height <= MAX_INPUT_SIDE),
  }),
  classes: field({
    flag: "--classes <names>",
    description: "comma-separated class names of a .onnx without model.json",
    must: "be comma-separated class names, e.g. scratch,dent",
    schema: z
      .string()
      .regex(/^[^,\s]+(,[^,\s]+)*$/)
      .transform((s) => s.split(",")),
  }),
  padValue: field({
    flag: "--pad-value <0..255>",
    description: "letterbox fill of a .onnx without model.json",
    must: "be a whole number from 0 to 255",
    schema: wholeNumber(0, 255),
    fallback: "114",
  }),
  outboxDir: field({
    flag: "--outbox <dir>",
    description: "folder of the durable outbox",
    must: "be a folder path (a folder, or where one can be made; not a file)",
    schema: folderPath,
    fallback: ".local/edge/outbox",
  }),
  outboxMaxBytes: field({
    flag: "--outbox-max-bytes <bytes>",
    description: "outbox size limit; when full, the oldest messages are dropped",
    must: "be a whole number of bytes from 65536 to 1099511627776",
    schema: wholeNumber(65_536, 2 ** 40),
    fallback: String(64 * 1024 * 1024),
  }),
  upload: field({
    flag: "--upload <target>",
    description: "where images sent back for labeling go: s3://<bucket>, a local data lake folder, or off",
    must: "be off, s3://<bucket> or a folder path (not a file)",
    schema: uploadTarget,
    fallback: "off",
  }),
  uploadEndpoint: field({
    flag: "--upload-endpoint <url>",
    description: "an S3-compatible endpoint instead of AWS's, e.g. http://127.0.0.1:9000 (path-style requests)",
    must: "be an http:// or https:// URL without a path, e.g. http://127.0.0.1:9000",
    schema: serverUrl(/^https?:\/\/[^/:\s]+(:\d{1,5})?\/?$/),
  }),
  uploadRegion: field({
    flag: "--upload-region <region>",
    description: "AWS region of the bucket (default: AWS_REGION, else AWS_DEFAULT_REGION)",
    must: "be an AWS region such as eu-west-1",
    schema: z.string().regex(AWS_REGION),
    fallback: (env) => env.AWS_REGION || env.AWS_DEFAULT_REGION || undefined,
  }),
  uploadOutboxDir: field({
    flag: "--upload-outbox <dir>",
    description: "folder of the durable queue of images waiting for upload",
    must: "be a folder path (a folder, or where one can be made; not a file)",
    schema: folderPath,
    fallback: ".local/edge/upload-outbox",
  }),
  uploadMaxBytes: field({
    flag: "--upload-max-bytes <bytes>",
    description: "upload queue size limit; when full, the oldest images are dropped",
    must: "be a whole number of bytes from 1048576 to 1099511627776",
    schema: wholeNumber(1_048_576, 2 ** 40),
    fallback: String(256 * 1024 * 1024),
  }),
  uncertaintyMaxScore: field({
    flag: "--uncertainty-max-score <0..1>",
    description: "send an image back when its best score is below this (nothing found counts as 0)",
    must: "be a number from 0 to 1",
    schema: decimal(0, 1),
    fallback: "0.7",
  }),
  uncertaintyBand: field({
    flag: "--uncertainty-band <low-high>",
    description: "send an image back when any detection scores within this band, e.g. 0.3-0.7, or off",
    must: "be off or <low>-<high> with 0 <= low <= high <= 1, e.g. 0.3-0.7",
    schema: scoreBand,
    fallback: "0.3-0.7",
  }),
  uncertaintyMaxPerHour: field({
    flag: "--uncertainty-max-per-hour <n>",
    description: "send at most this many images back in any hour (0: none)",
    must: "be a whole number from 0 to 100000",
    schema: wholeNumber(0, 100_000),
    fallback: "60",
  }),
  uncertaintyRandomRate: field({
    flag: "--uncertainty-random-rate <0..1>",
    description: "share of the confident images sent back too, so labels do not drift toward hard cases only",
    must: "be a number from 0 to 1",
    schema: decimal(0, 1),
    fallback: "0",
  }),
  ackTimeoutSeconds: field({
    flag: "--ack-timeout <seconds>",
    description: "seconds to wait for a publish to be acknowledged",
    must: "be a number of seconds from 1 to 600",
    schema: decimal(1, 600),
    fallback: "10",
  }),
  shutdownTimeoutSeconds: field({
    flag: "--shutdown-timeout <seconds>",
    description: "seconds to keep delivering queued messages when stopping",
    must: "be a number of seconds from 0 to 600",
    schema: decimal(0, 600),
    fallback: "5",
  }),
};

export type EdgeConfigField = keyof typeof edgeConfigFields;
type Parsed = { [K in EdgeConfigField]: z.output<(typeof edgeConfigFields)[K]["schema"]> };

export interface EdgeConfig extends Omit<Parsed, "layout" | "clientId" | "inputSize"> {
  layout?: "torchvision" | "yolov8";
  clientId: string;
  inputSize?: { width: number; height: number };
}

/** `imagesDir` → `QI_EDGE_IMAGES_DIR`. */
export function envNameOf(fieldName: EdgeConfigField): string {
  return `QI_EDGE_${fieldName.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

/** `--interval <seconds>` → `--interval`. */
export function flagNameOf(fieldName: EdgeConfigField): string {
  return flagName(edgeConfigFields[fieldName]);
}

export class EdgeConfigError extends FieldProblems {
  constructor(problems: string[]) {
    super("edge configuration", problems);
    this.name = "EdgeConfigError";
  }
}

// imagesDir is required by the folder sources only (sourceProblems).
const REQUIRED: EdgeConfigField[] = ["model"];

/**
 * Merges flags (already named by field), environment and defaults, and validates every field at once. Each problem
 * names the field the way the user set it (flag or environment variable) and the form it expects.
 */
export function parseEdgeConfig(
  flags: Partial<Record<EdgeConfigField, string | boolean>>,
  env: NodeJS.ProcessEnv = process.env,
): EdgeConfig {
  const problems: string[] = [];
  const values: Partial<Record<EdgeConfigField, unknown>> = {};
  const given = new Set<string>();
  for (const name of Object.keys(edgeConfigFields) as EdgeConfigField[]) {
    const f: EdgeField = edgeConfigFields[name];
    const flagValue = flags[name];
    const envValue = env[envNameOf(name)];
    let raw: string | undefined;
    let source: string;
    if (flagValue !== undefined) {
      raw = String(flagValue);
      source = flagNameOf(name);
    } else if (envValue !== undefined && envValue !== "") {
      raw = envValue;
      source = envNameOf(name);
    } else {
      raw = typeof f.fallback === "function" ? f.fallback(env) : f.fallback;
      source = `${name} (default)`;
    }
    if (raw === undefined) {
      if (REQUIRED.includes(name)) {
        problems.push(`${name} is required and must ${f.must}: set ${flagNameOf(name)} or ${envNameOf(name)}`);
      }
      continue;
    }
    const parsed = f.schema.safeParse(raw);
    if (parsed.success) values[name] = parsed.data;
    else problems.push(fieldProblem(source, f, raw));
    given.add(name);
  }
  // Fields a source needs when they were not given at all (a given but bad value is reported above).
  if (values.source) problems.push(...sourceProblems({ ...(values as Parsed), given }));
  if (problems.length > 0) throw new EdgeConfigError(problems);

  const v = values as Parsed;
  if (v.transport === "mqtt" && v.broker.protocol === "mqtts:" && (!v.cert || !v.key)) {
    problems.push(`broker ${v.broker.href} uses mutual TLS: set cert (--cert) and key (--key)`);
  }
  if (v.transport === "greengrass-ipc" && !insideGreengrass(env)) {
    problems.push(
      `transport greengrass-ipc needs to run as a Greengrass component (${GREENGRASS_IPC_ENV.join(" and ")} are not set); use --transport mqtt elsewhere`,
    );
  }
  if (v.upload.kind === "s3" && !v.uploadRegion) {
    problems.push(
      `upload s3://${v.upload.bucket} needs the bucket's region: set --upload-region, QI_EDGE_UPLOAD_REGION or AWS_REGION`,
    );
  }
  if (v.uploadEndpoint && v.upload.kind !== "s3") {
    problems.push(`upload endpoint ${v.uploadEndpoint.href} needs an s3://<bucket> upload (--upload)`);
  }
  if (problems.length > 0) throw new EdgeConfigError(problems);
  return {
    ...v,
    layout: v.layout === "auto" ? undefined : v.layout,
    clientId: v.clientId ?? v.thingName,
  };
}
