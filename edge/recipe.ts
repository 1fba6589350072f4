import path from "node:path";
import { z } from "zod";
import { DEFAULT_RESULT_TOPIC, errorTopicOf, mqttTopicSchema } from "../contracts/inferenceMessages";
import { RECIPE_FORMAT_VERSION } from "../contracts/modelComponent";
import { EdgeConfigField, envNameOf } from "./src/config";
import { SOURCE_KINDS } from "./src/sources/source";
import { AWS_REGION, S3_BUCKET_NAME } from "../contracts/awsNames";
import { deviceNodeCheckScript } from "../contracts/runtime";

/**
 * The Greengrass recipe of the inference component, built as a typed object from its inputs (never a JSON file
 * with placeholders). It runs the packaged JavaScript with the device's Node.js and downloads nothing at run time;
 * the model comes from the model component it depends on.
 */

export const MQTT_PROXY = "aws.greengrass.ipc.mqttproxy";
export const PUBLISH_TO_IOT_CORE = "aws.greengrass#PublishToIoTCore";
/** Local publish/subscribe between components: how a PLC gateway component sends triggers. */
export const PUBSUB = "aws.greengrass.ipc.pubsub";
export const SUBSCRIBE_TO_TOPIC = "aws.greengrass#SubscribeToTopic";
/**
 * Greengrass's token exchange service. Only components that depend on it get `AWS_CONTAINER_CREDENTIALS_FULL_URI` and
 * `AWS_CONTAINER_AUTHORIZATION_TOKEN`, from which the AWS SDK fetches the token exchange role's credentials.
 */
export const TOKEN_EXCHANGE_SERVICE = "aws.greengrass.TokenExchangeService";

/** Greengrass's names for the CPU architectures we package for (`edge/package.ts`). */
export const GREENGRASS_ARCHITECTURES = { x64: "amd64", arm64: "aarch64" } as const;

/**
 * Component configuration keys: the edge config fields a deployment may change. Each becomes an environment
 * variable of the lifecycle (`QI_EDGE_<FIELD>` = `{configuration:/<field>}`); an empty value means "the default".
 */
export const CONFIGURABLE_FIELDS = [
  "topic",
  "intervalSeconds",
  "scoreThreshold",
  "iouThreshold",
  "maxDetections",
  "transport",
  "imagesDir",
  "threads",
  "outboxMaxBytes",
  "broker",
  "cert",
  "key",
  "ca",
  "upload",
  "uploadRegion",
  "uploadMaxBytes",
  "uncertaintyMaxScore",
  "uncertaintyBand",
  "uncertaintyMaxPerHour",
  "uncertaintyRandomRate",
  "source",
  "camera",
  "cameraCredentials",
  "cameraTimeoutSeconds",
  "rtspTransport",
  "settleSeconds",
  "afterInspection",
  "retainFiles",
  "triggerTopic",
  "triggerTimeoutSeconds",
] as const satisfies readonly EdgeConfigField[];

const semver = z.string().regex(/^\d+\.\d+\.\d+$/, "must be a version like 1.0.0");
const componentName = z.string().regex(/^[A-Za-z0-9._-]{1,128}$/, "must be a Greengrass component name");

const score = z.number().min(0).max(1);

export const inferenceRecipeArgsSchema = z
  .object({
    /** `<prefix>.ScratchDetector` (contracts/modelComponent.ts `componentNames`). */
    componentName,
    componentVersion: semver,
    /** The packaged zip (`edge/package.ts`), e.g. `s3://<bucket>/components/<name>/<version>/<sha256>.zip`. */
    artifactUri: z.string().regex(/^s3:\/\/[a-z0-9.-]+\/.+\.zip$/, "must be an s3:// URI of a .zip"),
    /** The model component whose artifacts (model.onnx, model.json) the detector loads. */
    modelComponentName: componentName,
    modelVersionRequirement: z.string().min(1).default(">=1.0.0"),
    architecture: z.enum(["x64", "arm64"]).default("x64"),
    topic: mqttTopicSchema.default(DEFAULT_RESULT_TOPIC),
    intervalSeconds: z.number().min(0).max(86_400).default(5),
    /** Omitted: the model's own thresholds from model.json. */
    scoreThreshold: z.number().min(0).max(1).optional(),
    iouThreshold: z.number().min(0).max(1).optional(),
    maxDetections: z.number().int().min(1).max(1000).default(100),
    transport: z.enum(["greengrass-ipc", "mqtt"]).default("greengrass-ipc"),
    /** The camera folder on the device. */
    imagesDir: z.string().refine((p) => path.posix.isAbsolute(p), "must be an absolute path on the device"),
    /** Devices watch their folder (each file once); a deployment may configure a camera instead. */
    source: z.enum(SOURCE_KINDS).default("folder-watch"),
    /** Local pub/sub topic of part triggers; omitted: every frame is inspected. */
    triggerTopic: mqttTopicSchema.optional(),
    threads: z.number().int().min(0).max(256).default(0),
    outboxMaxBytes: z
      .number()
      .int()
      .min(65_536)
      .default(64 * 1024 * 1024),
    /** The data lake bucket uncertain images go back to; omitted: the device sends none back. */
    uploadBucket: z.string().regex(S3_BUCKET_NAME, "must be an S3 bucket name").optional(),
    uploadRegion: z.string().regex(AWS_REGION, "must be an AWS region such as eu-west-1").optional(),
    uploadMaxBytes: z
      .number()
      .int()
      .min(1_048_576)
      .default(256 * 1024 * 1024),
    uncertaintyMaxScore: score.default(0.7),
    /** [low, high], or null for no band. */
    uncertaintyBand: z
      .tuple([score, score])
      .refine(([low, high]) => low <= high, "must be [low, high] with low <= high")
      .nullable()
      .default([0.3, 0.7]),
    uncertaintyMaxPerHour: z.number().int().min(0).max(100_000).default(60),
    uncertaintyRandomRate: score.default(0),
  })
  .refine((args) => !args.uploadBucket || args.uploadRegion, {
    path: ["uploadRegion"],
    message: "is required with uploadBucket (the bucket's region)",
  });
export type InferenceRecipeArgs = z.input<typeof inferenceRecipeArgsSchema>;

type ConfigValue = string | number;

export interface AccessControlPolicy {
  policyDescription: string;
  operations: string[];
  resources: string[];
}

export interface GreengrassRecipe {
  RecipeFormatVersion: typeof RECIPE_FORMAT_VERSION;
  ComponentName: string;
  ComponentVersion: string;
  ComponentDescription: string;
  ComponentPublisher: string;
  ComponentConfiguration: {
    DefaultConfiguration: Record<(typeof CONFIGURABLE_FIELDS)[number], ConfigValue> & {
      accessControl: Record<typeof MQTT_PROXY, Record<string, AccessControlPolicy>> &
        Partial<Record<typeof PUBSUB, Record<string, AccessControlPolicy>>>;
    };
  };
  ComponentDependencies: Record<string, { VersionRequirement: string; DependencyType: "HARD" | "SOFT" }>;
  Manifests: {
    Platform: { os: "linux"; architecture: string };
    Lifecycle: {
      Setenv: Record<string, string>;
      Install: { Script: string; Timeout: number };
      Run: { Script: string };
    };
    Artifacts: { URI: string; Unarchive: "ZIP"; Permission: { Read: "OWNER"; Execute: "NONE" } }[];
  }[];
}

export class RecipeArgsError extends Error {
  override name = "RecipeArgsError";
}

/** The folder a ZIP artifact unpacks into: Greengrass names it after the file, without `.zip`. */
export function unpackedFolderOf(artifactUri: string): string {
  return path.posix.basename(artifactUri, ".zip");
}

export function inferenceComponentRecipe(input: InferenceRecipeArgs): GreengrassRecipe {
  const parsed = inferenceRecipeArgsSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `[${i.path.join(".")}] ${i.message}`);
    throw new RecipeArgsError(`invalid inference recipe arguments: ${problems.join("; ")}`);
  }
  const args = parsed.data;
  const topics = [args.topic, errorTopicOf(args.topic)];
  const configuration: Record<(typeof CONFIGURABLE_FIELDS)[number], ConfigValue> = {
    topic: args.topic,
    intervalSeconds: args.intervalSeconds,
    scoreThreshold: args.scoreThreshold ?? "",
    iouThreshold: args.iouThreshold ?? "",
    maxDetections: args.maxDetections,
    transport: args.transport,
    imagesDir: args.imagesDir,
    threads: args.threads,
    outboxMaxBytes: args.outboxMaxBytes,
    broker: "",
    cert: "",
    key: "",
    ca: "",
    upload: args.uploadBucket ? `s3://${args.uploadBucket}` : "",
    uploadRegion: args.uploadRegion ?? "",
    uploadMaxBytes: args.uploadMaxBytes,
    uncertaintyMaxScore: args.uncertaintyMaxScore,
    uncertaintyBand: args.uncertaintyBand ? args.uncertaintyBand.join("-") : "off",
    uncertaintyMaxPerHour: args.uncertaintyMaxPerHour,
    uncertaintyRandomRate: args.uncertaintyRandomRate,
    source: args.source,
    // Empty: the detector's defaults (sources/config.ts); a deployment's configuration update sets what it needs.
    camera: "",
    cameraCredentials: "",
    cameraTimeoutSeconds: "",
    rtspTransport: "",
    settleSeconds: "",
    afterInspection: "",
    retainFiles: "",
    triggerTopic: args.triggerTopic ?? "",
    triggerTimeoutSeconds: "",
  };
  const setenv: Record<string, string> = {
    [envNameOf("model")]: `{${args.modelComponentName}:artifacts:path}`,
    // The work folder survives restarts and component updates: queued results are sent by the next version too.
    [envNameOf("outboxDir")]: "{work:path}/outbox",
    [envNameOf("uploadOutboxDir")]: "{work:path}/upload-outbox",
    [envNameOf("thingName")]: "{iot:thingName}",
  };
  for (const field of CONFIGURABLE_FIELDS) setenv[envNameOf(field)] = `{configuration:/${field}}`;
  const main = `{artifacts:decompressedPath}/${unpackedFolderOf(args.artifactUri)}/main.js`;

  return {
    RecipeFormatVersion: RECIPE_FORMAT_VERSION,
    ComponentName: args.componentName,
    ComponentVersion: args.componentVersion,
    ComponentDescription:
      "Inspects camera images with the ONNX scratch detector of the model component, publishes every result to AWS IoT Core and sends uncertain images back to the data lake for labeling, without losing any.",
    ComponentPublisher: "qualityinspection",
    ComponentConfiguration: {
      DefaultConfiguration: {
        ...configuration,
        accessControl: {
          [MQTT_PROXY]: {
            [`${args.componentName}:mqttproxy:1`]: {
              policyDescription: `Publish inference results and errors on ${topics.join(" and ")}.`,
              operations: [PUBLISH_TO_IOT_CORE],
              resources: topics,
            },
          },
          ...(args.triggerTopic
            ? {
                [PUBSUB]: {
                  [`${args.componentName}:pubsub:1`]: {
                    policyDescription: `Receive part triggers on ${args.triggerTopic}.`,
                    operations: [SUBSCRIBE_TO_TOPIC],
                    resources: [args.triggerTopic],
                  },
                },
              }
            : {}),
        },
      },
    },
    ComponentDependencies: {
      [args.modelComponentName]: { VersionRequirement: args.modelVersionRequirement, DependencyType: "HARD" },
      ...(args.uploadBucket
        ? { [TOKEN_EXCHANGE_SERVICE]: { VersionRequirement: ">=2.0.0 <3.0.0", DependencyType: "HARD" as const } }
        : {}),
    },
    Manifests: [
      {
        Platform: { os: "linux", architecture: GREENGRASS_ARCHITECTURES[args.architecture] },
        Lifecycle: {
          Setenv: setenv,
          // Fails the deployment early when the device's Node.js is too old, or the native modules, the model or the
          // configuration are wrong, or a stream source is configured and ffmpeg is missing (--check looks).
          Install: { Script: `${deviceNodeCheckScript()}; node ${main} --check`, Timeout: 120 },
          // exec: node itself receives Greengrass's SIGTERM and shuts down cleanly.
          Run: { Script: `exec node ${main}` },
        },
        Artifacts: [{ URI: args.artifactUri, Unarchive: "ZIP", Permission: { Read: "OWNER", Execute: "NONE" } }],
      },
    ],
  };
}
