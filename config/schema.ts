import { z } from "zod";
import { mqttTopicSchema } from "../contracts/inferenceMessages";
import { NEO_TARGET_DEVICES, NeoTargetDevice } from "./neoTargets";
import { AWS_REGION, THING_NAME } from "../contracts/awsNames";
import { field, fieldProblem, FieldProblems } from "../lib/fields";
import { bool, decimal, scoreBand, sidesMultipleOf, wholeNumber } from "../lib/fieldValues";
import { ResultsConfig, resultsConfig, resultsFields } from "./resultsConfig";
import { DatasetConfig, datasetConfig, datasetFields } from "./datasetConfig";
import { labelingProblems } from "./labeling";

/** The Pulumi project name; it is also the namespace of every project config key. */
export const PROJECT = "qualityinspection";

/** CloudWatch Logs accepts only these retention periods (days). */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** A list value: Pulumi hands `array` config to the program as JSON. */
const jsonList = <T extends z.ZodType>(item: T) =>
  z
    .string()
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: "custom", message: "not JSON" });
        return z.NEVER;
      }
    })
    .pipe(z.array(item));

/**
 * Every config key the program reads, fully qualified. `Pulumi.yaml` declares each `qualityinspection:` key with a
 * description and (where one makes sense) a default; a test keeps the two in step.
 */
export const configFields = {
  "aws:region": field("be an AWS region such as eu-west-1", z.string().regex(AWS_REGION)),
  "qualityinspection:dataLake.forceDestroy": field("be true or false", bool),
  "qualityinspection:dataLake.allowDeleteData": field("be true or false", bool),
  "qualityinspection:dataLake.noncurrentVersionDays": field(
    "be a whole number of days from 1 to 3650",
    wholeNumber(1, 3650),
  ),
  "qualityinspection:dataLake.tmpExpirationDays": field("be a whole number of days from 1 to 365", wholeNumber(1, 365)),
  "qualityinspection:logs.retentionDays": field(
    `be one of the CloudWatch Logs retention periods: ${LOG_RETENTION_DAYS.join(", ")}`,
    wholeNumber(LOG_RETENTION_DAYS[0], LOG_RETENTION_DAYS[LOG_RETENTION_DAYS.length - 1]).refine((days) =>
      (LOG_RETENTION_DAYS as readonly number[]).includes(days),
    ),
  ),
  "qualityinspection:alerts.email": field("be an e-mail address such as ops@example.com", z.email()),
  "qualityinspection:training.instanceType": field(
    "look like ml.<family>.<size> (for example ml.m5.xlarge)",
    z.string().regex(/^ml\.[a-z0-9-]+\.[0-9]*x?[a-z0-9]+$/),
  ),
  "qualityinspection:training.instanceCount": field("be a whole number from 1 to 16", wholeNumber(1, 16)),
  "qualityinspection:training.maxRuntimeSeconds": field(
    "be a whole number of seconds from 600 to 432000 (5 days)",
    wholeNumber(600, 432_000),
  ),
  "qualityinspection:training.epochs": field("be a whole number from 1 to 1000", wholeNumber(1, 1000)),
  "qualityinspection:evaluation.minMap50_95": field("be a number from 0 to 1 (for example 0.4)", decimal(0, 1)),
  "qualityinspection:evaluation.maxRegression": field("be a number from 0 to 1 (for example 0.02)", decimal(0, 1)),
  "qualityinspection:registry.approvalStatus": field(
    "be Approved or PendingManualApproval",
    z.enum(["Approved", "PendingManualApproval"]),
  ),
  "qualityinspection:labeling.maxImagesPerJob": field("be a whole number from 1 to 100000", wholeNumber(1, 100_000)),
  "qualityinspection:labeling.classes": field(
    "be comma-separated class names of letters, digits, - and _ (for example scratch,dent)",
    z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,30}(,[A-Za-z0-9_-]{1,30}){0,49}$/)
      .transform((names) => names.split(","))
      .refine((names) => new Set(names).size === names.length),
  ),
  "qualityinspection:labeling.workteamArn": field(
    "be empty or the ARN of a private SageMaker workteam (arn:aws:sagemaker:<region>:<account>:workteam/private-crowd/<name>)",
    z.string().regex(/^$|^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:\d{12}:workteam\/private-crowd\/[A-Za-z0-9-]+$/),
  ),
  "qualityinspection:labeling.createPrivateWorkforce": field("be true or false", bool),
  "qualityinspection:labeling.allowPublicWorkforce": field("be true or false", bool),
  "qualityinspection:labeling.verification": field("be true or false", bool),
  "qualityinspection:labeling.provider": field("be builtin or groundtruth", z.enum(["builtin", "groundtruth"])),
  "qualityinspection:labeling.heartbeatSeconds": field(
    "be a whole number of seconds from 60 to 2592000 (30 days)",
    wholeNumber(60, 2_592_000),
  ),
  "qualityinspection:labeling.timeoutSeconds": field(
    "be a whole number of seconds from 60 to 2592000 (30 days)",
    wholeNumber(60, 2_592_000),
  ),
  ...datasetFields,
  "qualityinspection:trigger.newImages": field("be true or false", bool),
  "qualityinspection:trigger.newImagesMin": field("be a whole number from 1 to 100000", wholeNumber(1, 100_000)),
  "qualityinspection:trigger.newImagesMaxWaitMinutes": field(
    "be a whole number of minutes from 5 to 43200 (30 days)",
    wholeNumber(5, 43_200),
  ),
  "qualityinspection:training.batchSize": field("be a whole number from 1 to 256", wholeNumber(1, 256)),
  "qualityinspection:training.imageSize": field(
    "be the model input in pixels, multiples of 32 from 64 to 1280: <n> (a square) or <width>x<height>, e.g. 384x256",
    sidesMultipleOf(32, 64, 1280),
  ),
  "qualityinspection:training.seed": field("be a whole number from 0 to 2147483647", wholeNumber(0, 2_147_483_647)),
  "qualityinspection:training.scoreThreshold": field(
    "be auto (the best F1 on the validation split) or a number from 0 to 1 (for example 0.3)",
    z.union([z.literal("auto"), decimal(0, 1)]),
  ),
  "qualityinspection:compilation.target": field(
    `be onnx or a SageMaker Neo target device (${NEO_TARGET_DEVICES.join(", ")})`,
    z.enum(["onnx", ...NEO_TARGET_DEVICES]),
  ),
  "qualityinspection:compilation.pollIntervalSeconds": field(
    "be a whole number of seconds from 10 to 3600",
    wholeNumber(10, 3600),
  ),
  "qualityinspection:compilation.maxPolls": field("be a whole number from 1 to 1000", wholeNumber(1, 1000)),
  "qualityinspection:deploy.pollIntervalSeconds": field(
    "be a whole number of seconds from 10 to 3600",
    wholeNumber(10, 3600),
  ),
  "qualityinspection:deploy.maxPolls": field("be a whole number from 1 to 1000", wholeNumber(1, 1000)),
  "qualityinspection:schedule.expression": field(
    "be an EventBridge schedule such as cron(0 6 1 * ? *) or rate(30 days), or off",
    z
      .string()
      .regex(/^(off|cron\([^()]+\)|rate\(\d+ (minute|minutes|hour|hours|day|days)\))$/)
      .transform((expression) => (expression === "off" ? null : expression)),
  ),
  "qualityinspection:edge.architecture": field(
    "be x64 or arm64 (the CPU of the edge devices)",
    z.enum(["x64", "arm64"]),
  ),
  "qualityinspection:edge.coreDevices": field(
    'be a list of distinct IoT thing names (letters, digits, -, _ or :), e.g. ["line-1-inspector"]',
    jsonList(z.string().regex(THING_NAME)).refine((names) => new Set(names).size === names.length),
  ),
  "qualityinspection:edge.simulatedDevice": field("be true or false", bool),
  "qualityinspection:edge.simulatedDeviceInstanceType": field(
    "look like <family>.<size> (for example t3.medium)",
    z.string().regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/),
  ),
  "qualityinspection:edge.nucleusVersion": field(
    "be latest or a Greengrass nucleus version such as 2.14.0",
    z.string().regex(/^(latest|\d+\.\d+\.\d+)$/),
  ),
  "qualityinspection:edge.topic": field(
    "be an MQTT topic without wildcards, empty levels or a leading $ (e.g. qualityinspection/scratch-detection)",
    mqttTopicSchema,
  ),
  "qualityinspection:edge.imagesDir": field(
    "be an absolute path on the device, e.g. /var/lib/qualityinspection/images",
    z.string().regex(/^\/[^\0]*$/),
  ),
  "qualityinspection:edge.intervalSeconds": field(
    "be a whole number of seconds from 1 to 86400",
    wholeNumber(1, 86_400),
  ),
  "qualityinspection:edge.uncertainty.maxScore": field("be a number from 0 to 1 (for example 0.7)", decimal(0, 1)),
  "qualityinspection:edge.uncertainty.band": field(
    "be off or <low>-<high> with 0 <= low <= high <= 1 (for example 0.3-0.7)",
    scoreBand,
  ),
  "qualityinspection:edge.uncertainty.maxPerHour": field("be a whole number from 0 to 100000", wholeNumber(0, 100_000)),
  "qualityinspection:edge.uncertainty.randomRate": field("be a number from 0 to 1 (for example 0.01)", decimal(0, 1)),
  ...resultsFields,
};

type ConfigKey = keyof typeof configFields;
type FlatConfig = { [K in ConfigKey]: z.output<(typeof configFields)[K]["schema"]> };

/** Validated stack configuration, as the components receive it. Components never read config themselves. */
export interface StackConfig {
  project: string;
  stack: string;
  region: string;
  /** Prefix for physical names that must be unique per account and region, e.g. `qi-dev`. */
  namePrefix: string;
  /** Tags on everything the stack creates, in `pulumi up` and at run time: cost allocation and cleanup find it. */
  tags: Record<string, string>;
  dataLake: {
    forceDestroy: boolean;
    /** `pipeline cleanup --delete-data` may delete every object of the data lake. */
    allowDeleteData: boolean;
    noncurrentVersionDays: number;
    tmpExpirationDays: number;
  };
  logs: { retentionDays: number };
  alerts: { email: string };
  training: {
    instanceType: string;
    instanceCount: number; // above 1: train.py runs data-parallel (training/distributed.py)
    maxRuntimeSeconds: number;
    epochs: number;
    batchSize: number;
    imageSize: { width: number; height: number };
    seed: number;
    /** The score threshold written into model.json; `auto` lets training pick the best F1 on validation. */
    scoreThreshold: number | "auto";
  };
  /** `maxRegression`: how much worse on the test split than the deployed model a new one may be. */
  evaluation: { minMap50_95: number; maxRegression: number };
  registry: { modelPackageGroupName: string; approvalStatus: "Approved" | "PendingManualApproval" };
  labeling: {
    maxImagesPerJob: number;
    /** Label categories in order: a box's class id indexes this list. */
    classes: string[];
    workforce: LabelingWorkforce;
    /** Run a Ground Truth verification job after labeling; rejected labels are stored as REJECTED. */
    verification: boolean;
    /** Who labels: the project's labeling app (every account) or SageMaker Ground Truth (accounts that have it). */
    provider: LabelingProvider;
    /** The labeling app's batch: a run fails when no one labels for `heartbeatSeconds`, or after `timeoutSeconds`. */
    builtin: { heartbeatSeconds: number; timeoutSeconds: number };
  };
  dataset: DatasetConfig;
  /** The new-images trigger: a run once `minImages` are pending or the oldest has waited `maxWaitMinutes`. */
  newImagesTrigger: { enabled: boolean; minImages: number; maxWaitMinutes: number };
  compilation: { target: "onnx" | NeoTargetDevice; pollIntervalSeconds: number; maxPolls: number };
  deploy: { pollIntervalSeconds: number; maxPolls: number };
  /** EventBridge schedule of the periodic run; null when switched off. */
  schedule: { expression: string | null };
  edge: {
    architecture: "x64" | "arm64";
    /** Thing group every core device joins; deployments target it. */
    thingGroupName: string;
    /** Core devices (IoT things) the stack registers, the simulated device's included. */
    coreDevices: string[];
    /** An EC2 instance running Greengrass as a core device, for trying the pipeline without hardware. */
    simulatedDevice: { thingName: string; instanceType: string } | null;
    nucleusVersion: string;
    topic: string;
    imagesDir: string;
    intervalSeconds: number;
    /** Which images devices send back for labeling (edge/src/sampling.ts). */
    uncertainty: {
      maxScore: number;
      /** [low, high], or null for no band. */
      band: [number, number] | null;
      maxPerHour: number;
      randomRate: number;
    };
  };
  results: ResultsConfig;
}

/** Who labels images: an existing private workteam, one the program creates, or Mechanical Turk (Ground Truth). */
export type LabelingWorkforce =
  { kind: "existing"; workteamArn: string } | { kind: "create" } | { kind: "public" } | { kind: "none" };

export type LabelingProvider = "builtin" | "groundtruth";

export class ConfigError extends FieldProblems {
  constructor(problems: string[]) {
    super("stack configuration", problems);
    this.name = "ConfigError";
  }
}

const flatSchema = z.object(
  Object.fromEntries(Object.entries(configFields).map(([key, f]) => [key, f.schema])) as {
    [K in ConfigKey]: (typeof configFields)[K]["schema"];
  },
);

/** `qualityinspection:training.instanceType` → `training.instanceType`, the name `pulumi config set` takes. */
export function shortKey(key: string): string {
  return key.startsWith(`${PROJECT}:`) ? key.slice(PROJECT.length + 1) : key;
}

function describe(key: ConfigKey, raw: Record<string, string | undefined>): string {
  const { must } = configFields[key];
  const value = raw[key];
  if (value === undefined) {
    return `${key} is required and must ${must}; set it with \`pulumi config set ${shortKey(key)} <value>\``;
  }
  return fieldProblem(key, configFields[key], value);
}

/** Stack names may hold characters that AWS names refuse; keep letters, digits and dashes. */
function namePrefixFor(stack: string): string {
  const cleaned = stack
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
  if (cleaned.length === 0 || cleaned.length > 20) {
    throw new ConfigError([`stack name ${JSON.stringify(stack)} must have 1 to 20 letters, digits or dashes`]);
  }
  return `qi-${cleaned}`;
}

/**
 * Validates the raw config of one stack (fully qualified keys, string values, as `pulumi.runtime.allConfig()` returns
 * them) and returns one typed object. All problems are reported at once, each naming its key and the expected form.
 */
export function parseStackConfig(raw: Record<string, string | undefined>, stack: string): StackConfig {
  const problems: string[] = [];
  const unknown = Object.keys(raw).filter((key) => key.startsWith(`${PROJECT}:`) && !(key in configFields));
  for (const key of unknown) {
    problems.push(`${key} is not a config key of this program (see Pulumi.yaml for the keys it reads)`);
  }
  const parsed = flatSchema.safeParse(raw);
  if (!parsed.success) {
    const keys = new Set(parsed.error.issues.map((issue) => String(issue.path[0]) as ConfigKey));
    for (const key of keys) problems.push(describe(key, raw));
  }
  problems.push(...crossFieldProblems(raw));
  if (problems.length > 0 || !parsed.success) throw new ConfigError(problems);
  return toStackConfig(parsed.data, stack);
}

/** Rules that involve more than one key; checked on the keys that are valid on their own. */
function crossFieldProblems(raw: Record<string, string | undefined>): string[] {
  const parse = (key: string) => configFields[key as ConfigKey].schema.safeParse(raw[key]);
  return [...labelingProblems(parse), ...simulatedDeviceProblems(raw)];
}

function simulatedDeviceProblems(raw: Record<string, string | undefined>): string[] {
  const parse = <K extends ConfigKey>(key: K) => configFields[key].schema.safeParse(raw[key]);
  const [enabled, instanceType, architecture] = [
    parse("qualityinspection:edge.simulatedDevice"),
    parse("qualityinspection:edge.simulatedDeviceInstanceType"),
    parse("qualityinspection:edge.architecture"),
  ];
  if (!enabled.success || !enabled.data || !instanceType.success || !architecture.success) return [];
  const arm = isArmInstanceType(instanceType.data as string);
  if (arm === (architecture.data === "arm64")) return [];
  return [
    `qualityinspection:edge.simulatedDeviceInstanceType must be ${arm ? "an x64" : "an arm64 (Graviton)"} instance ` +
      `type to match qualityinspection:edge.architecture=${architecture.data} (got ${JSON.stringify(raw["qualityinspection:edge.simulatedDeviceInstanceType"])})`,
  ];
}

function edgeConfig(flat: FlatConfig, namePrefix: string): StackConfig["edge"] {
  const simulated = flat["qualityinspection:edge.simulatedDevice"]
    ? {
        thingName: `${namePrefix}-simulated-device`,
        instanceType: flat["qualityinspection:edge.simulatedDeviceInstanceType"],
      }
    : null;
  return {
    architecture: flat["qualityinspection:edge.architecture"],
    thingGroupName: `${namePrefix}-fleet`,
    coreDevices: [...flat["qualityinspection:edge.coreDevices"], ...(simulated ? [simulated.thingName] : [])],
    simulatedDevice: simulated,
    nucleusVersion: flat["qualityinspection:edge.nucleusVersion"],
    topic: flat["qualityinspection:edge.topic"],
    imagesDir: flat["qualityinspection:edge.imagesDir"],
    intervalSeconds: flat["qualityinspection:edge.intervalSeconds"],
    uncertainty: {
      maxScore: flat["qualityinspection:edge.uncertainty.maxScore"],
      band: flat["qualityinspection:edge.uncertainty.band"],
      maxPerHour: flat["qualityinspection:edge.uncertainty.maxPerHour"],
      randomRate: flat["qualityinspection:edge.uncertainty.randomRate"],
    },
  };
}

/** Graviton instance families carry a "g" after the generation digit: t4g, m6gd, c7gn (but not g4dn, x86 GPUs). */
export function isArmInstanceType(instanceType: string): boolean {
  return /^[a-z]+\d+[a-z]*g[a-z]*\./.test(instanceType) && !/^g\d/.test(instanceType);
}

function labelingWorkforce(flat: FlatConfig): LabelingWorkforce {
  if (flat["qualityinspection:labeling.provider"] === "builtin") return { kind: "none" };
  if (flat["qualityinspection:labeling.createPrivateWorkforce"]) return { kind: "create" };
  if (flat["qualityinspection:labeling.allowPublicWorkforce"]) return { kind: "public" };
  return { kind: "existing", workteamArn: flat["qualityinspection:labeling.workteamArn"] };
}

/** The tags every resource of a stack carries. */
export function commonTags(stack: string): Record<string, string> {
  return { project: PROJECT, stack };
}

function toStackConfig(flat: FlatConfig, stack: string): StackConfig {
  const k = <K extends ConfigKey>(key: K): FlatConfig[K] => flat[key];
  const namePrefix = namePrefixFor(stack);
  return {
    project: PROJECT,
    stack,
    region: k("aws:region"),
    namePrefix,
    tags: commonTags(stack),
    dataLake: {
      forceDestroy: k("qualityinspection:dataLake.forceDestroy"),
      allowDeleteData: k("qualityinspection:dataLake.allowDeleteData"),
      noncurrentVersionDays: k("qualityinspection:dataLake.noncurrentVersionDays"),
      tmpExpirationDays: k("qualityinspection:dataLake.tmpExpirationDays"),
    },
    logs: { retentionDays: k("qualityinspection:logs.retentionDays") },
    alerts: { email: k("qualityinspection:alerts.email") },
    training: {
      instanceType: k("qualityinspection:training.instanceType"),
      instanceCount: k("qualityinspection:training.instanceCount"),
      maxRuntimeSeconds: k("qualityinspection:training.maxRuntimeSeconds"),
      epochs: k("qualityinspection:training.epochs"),
      batchSize: k("qualityinspection:training.batchSize"),
      imageSize: k("qualityinspection:training.imageSize"),
      seed: k("qualityinspection:training.seed"),
      scoreThreshold: k("qualityinspection:training.scoreThreshold"),
    },
    evaluation: {
      minMap50_95: k("qualityinspection:evaluation.minMap50_95"),
      maxRegression: k("qualityinspection:evaluation.maxRegression"),
    },
    registry: {
      modelPackageGroupName: `${namePrefix}-scratch-detector`,
      approvalStatus: k("qualityinspection:registry.approvalStatus"),
    },
    labeling: {
      maxImagesPerJob: k("qualityinspection:labeling.maxImagesPerJob"),
      classes: k("qualityinspection:labeling.classes"),
      workforce: labelingWorkforce(flat),
      verification: k("qualityinspection:labeling.verification"),
      provider: k("qualityinspection:labeling.provider"),
      builtin: {
        heartbeatSeconds: k("qualityinspection:labeling.heartbeatSeconds"),
        timeoutSeconds: k("qualityinspection:labeling.timeoutSeconds"),
      },
    },
    dataset: datasetConfig(flat),
    newImagesTrigger: {
      enabled: k("qualityinspection:trigger.newImages"),
      minImages: k("qualityinspection:trigger.newImagesMin"),
      maxWaitMinutes: k("qualityinspection:trigger.newImagesMaxWaitMinutes"),
    },
    compilation: {
      target: k("qualityinspection:compilation.target"),
      pollIntervalSeconds: k("qualityinspection:compilation.pollIntervalSeconds"),
      maxPolls: k("qualityinspection:compilation.maxPolls"),
    },
    deploy: {
      pollIntervalSeconds: k("qualityinspection:deploy.pollIntervalSeconds"),
      maxPolls: k("qualityinspection:deploy.maxPolls"),
    },
    schedule: { expression: k("qualityinspection:schedule.expression") },
    edge: edgeConfig(flat, namePrefix),
    results: resultsConfig(flat),
  };
}
