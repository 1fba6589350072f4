import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import * as path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { z } from "zod";
import { trainingCodeArchive } from "../components/trainingCode";
import type { StackConfig } from "../config/schema";
import { readStackConfig } from "../config/stackFiles";
import {
  componentArtifactKey,
  componentNames,
  INFERENCE_RECIPE_FILE,
  inferenceComponentVersion,
} from "../contracts/modelComponent";
import { inferenceComponentRecipe } from "../edge/recipe";
import type { BuildDatasetResult } from "../lambdas/buildDataset/handler";
import type { CompileOnnxResult } from "../lambdas/compileOnnx/handler";
import type { EvaluateModelResult } from "../lambdas/evaluateModel/handler";
import type { IngestLabelsResult } from "../lambdas/ingestLabels/handler";
import type { Log } from "../lambdas/shared/ports";
import { formatDuration, renderStageChanges, renderStageTable, stageElapsed } from "../cli/render";
import { pipelineDefinitionArgs } from "../stateMachines/definitionArgs";
import { PIPELINE_FUNCTIONS, PipelineFunction } from "../stateMachines/functions";
import {
  buildProgress,
  failedState,
  fromLocalEventLog,
  LocalEventLogEntry,
  StageProgress,
  stageProgress,
} from "../stateMachines/progress";
import { buildPipelineDefinition, STATES } from "../stateMachines/qualityInspection";
import { PIPELINE_STAGES } from "../stateMachines/stages";
import { checkTorch, findPython, TORCH_INSTALL_HINT, TRAINING_DIR } from "../training/python";
import { EmbeddedBroker } from "./broker";
import { DataLakeSeed, seedDataset, seedSynthetic } from "./dataSources";
import { EdgeResults } from "./edgeResults";
import { FileLabelStore } from "./fileLabelStore";
import { FileObjectStore } from "./fileObjectStore";
import { GroundTruth, LocalLabelingWorkforce } from "./labelingWorkforce";
import { lambdaResources, pipelineLambdas } from "./lambdas";
import { handlersByState, runLocally, TaskHandler } from "./localExecution";
import { LocalComponentRegistry, LocalGreengrass } from "./localGreengrass";
import { LocalModelRegistry } from "./localModelRegistry";
import { LocalTraining, TrainingMode } from "./localTraining";
import { ServiceError } from "./serviceError";
import { ConfigChange, offlineConfig } from "./settings";

/** The account id in every local ARN: no AWS account is involved. */
export const LOCAL_ACCOUNT = "000000000000";
/** Seconds between the deployment's checks locally: the local device answers in seconds, not minutes. */
export const LOCAL_POLL_SECONDS = 2;
/** The committed demo model: what the job ships when it cannot or should not train. */
/** Synthetic parts on a first run unless the stack needs more (`syntheticCount`). */
export const DEFAULT_IMAGES = 160;

/** Enough parts for the stack's dataset minimum, with room for the splits: prod asks for 200 labeled images. */
export function syntheticCount(config: StackConfig): number {
  return Math.max(DEFAULT_IMAGES, Math.ceil(config.dataset.minImages * 1.25));
}

export const DEMO_MODEL_DIR = path.resolve(__dirname, "..", "models", "demo");
const EDGE_MAIN = path.resolve(__dirname, "..", "edge", "src", "main.ts");

export interface OfflineOptions {
  projectDir: string;
  stack: string;
  /** Where the local cloud keeps its state; default `<projectDir>/.local/<stack>`. */
  workDir?: string;
  /** Start from an empty data lake, label store, registry and device. */
  clean: boolean;
  /** A real dataset folder (images/ + labels/labels.csv) instead of synthetic parts. */
  dataset?: string;
  /** Synthetic parts in the data lake on a first run (default: see `syntheticCount`), and their seed. */
  images?: number;
  seed: number;
  /** Parts in the edge device's camera folder. */
  cameraImages: number;
  /** Ship the committed demo model instead of training. */
  skipTraining: boolean;
  /** `--config key=value` assignments, short or qualified keys. */
  config: Record<string, string>;
  /** Seconds to watch the deployed detector before the summary, and its seconds between images. */
  edgeSeconds: number;
  edgeInterval: number;
  /** Keep the broker and the detector running after the summary until `untilStopped` resolves. */
  keepRunning: boolean;
}

export interface OfflineEnvironment {
  /** Lines for people: stages, jobs, the summary. */
  print: (line: string) => void;
  /** The python that trains (default: `findPython()`). */
  python?: string;
  /** Resolves when a kept-running run should end (Ctrl-C). */
  untilStopped?: () => Promise<void>;
}

export interface StageSummary {
  name: string;
  status: string;
  seconds: number | null;
}

export interface OfflineResult {
  status: "SUCCEEDED" | "FAILED";
  outcome: string | null;
  executionArn: string;
  /** The states the execution entered, in order. */
  path: string[];
  stages: StageSummary[];
  failure: { state: string; error: string; cause: string } | null;
  data: DataLakeSeed;
  labeled: number;
  dataset: BuildDatasetResult["counts"] | null;
  evaluation: Pick<EvaluateModelResult, "passed" | "approvalStatus" | "reason" | "metrics"> | null;
  map50_95: number | null;
  training: { mode: TrainingMode["kind"]; seconds: number; reason?: string } | null;
  compiled: Pick<CompileOnnxResult, "goldenImages" | "maxAbsDiff" | "originalBytes" | "optimisedBytes"> | null;
  deployed: boolean;
  deployment: { componentVersion: string; modelVersion: string; secondsToFirstResult: number | null } | null;
  detectionsReceived: number;
  detectionsPerSecond: number | null;
  edge: { results: number; detections: number; withDetections: number; errors: number; invalid: number };
  notifications: { Subject: string; Message: string }[];
  changes: ConfigChange[];
  workDir: string;
  wallSeconds: number;
}

/** SHA-256 over the edge detector's sources: a changed detector is a new inference component version. */
function edgeSourceHash(): string {
  const root = path.resolve(__dirname, "..", "edge", "src");
  const hash = createHash("sha256");
  const files = readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name))
    .sort();
  for (const file of files) hash.update(path.relative(root, file)).update(readFileSync(file));
  return hash.digest("hex");
}

const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** The local stand-ins of what `pulumi up` creates: names and ARNs in the stack's region and the local account. */
function localResources(config: StackConfig, bucketName: string, codeKey: string, inferenceVersion: string) {
  const { namePrefix, region } = config;
  const arn = (service: string, resource: string) => `arn:aws:${service}:${region}:${LOCAL_ACCOUNT}:${resource}`;
  const names = componentNames(namePrefix);
  const { workforce } = config.labeling;
  return {
    bucketName,
    functions: Object.fromEntries(
      (Object.keys(PIPELINE_FUNCTIONS) as PipelineFunction[]).map((fn) => [
        fn,
        arn("lambda", `function:${namePrefix}-${kebab(fn)}`),
      ]),
    ) as Record<PipelineFunction, string>,
    alertsTopicArn: arn("sns", `${namePrefix}-pipeline-alerts`),
    sagemakerRole: `arn:aws:iam::${LOCAL_ACCOUNT}:role/${namePrefix}-sagemaker-execution`,
    labelingRole: `arn:aws:iam::${LOCAL_ACCOUNT}:role/${namePrefix}-labeling`,
    workteam:
      workforce.kind === "existing"
        ? workforce.workteamArn
        : workforce.kind === "public"
          ? "public"
          : arn("sagemaker", `workteam/private-crowd/${namePrefix}-labelers`),
    modelPackageGroupName: `${namePrefix}-scratch-detector`,
    thingGroupArn: arn("iot", `thinggroup/${config.edge.thingGroupName}`),
    codeKey,
    inferenceVersion,
    inferenceRecipeKey: componentArtifactKey(names.inference, inferenceVersion, INFERENCE_RECIPE_FILE),
  };
}

const clock = () => new Date().toISOString().slice(11, 19);
/** A path as people read it: relative to the current folder when inside it. */
const displayPath = (file: string) => {
  const relative = path.relative(process.cwd(), file);
  return relative && !relative.startsWith("..") ? relative : file;
};
const seconds = (ms: number | undefined) => (ms === undefined ? null : Math.round(ms / 100) / 10);

/** Records each Task's last result and hands it on unchanged. */
function recording(handlers: Record<string, TaskHandler>, results: Map<string, unknown>): Record<string, TaskHandler> {
  return Object.fromEntries(
    Object.entries(handlers).map(([state, handler]): [string, TaskHandler] => [
      state,
      async (input) => {
        const result = await handler(input);
        results.set(state, result);
        return result;
      },
    ]),
  );
}

/** Lines of the detector that say what it is doing; the per-image lines after the first few are counted instead. */
function detectorLinePrinter(print: (line: string) => void): (line: string) => void {
  let imageLines = 0;
  return (line) => {
    const perImage = /^\S+\.(jpe?g|png|bmp) \d+x\d+:/i.test(line);
    if (perImage && ++imageLines > 3) return;
    print(`  edge │ ${line}`);
  };
}

/**
 * `npm start`: the pipeline's state machine — the definition `pulumi up` deploys, built from the same stack file —
 * run on this machine with aws-local-stepfunctions. Every Task is served by a local implementation of its contract:
 * a folder as the data lake, a JSON-lines label store, the real Lambda handlers on those, a labeling workforce that
 * answers from ground truth, train.py as the training job, a JSON model registry, and a Greengrass device that runs the
 * real detector against an embedded MQTT broker.
 */
export async function runOffline(options: OfflineOptions, environment: OfflineEnvironment): Promise<OfflineResult> {
  const started = Date.now();
  const { print } = environment;
  const workDir = options.workDir ?? path.join(options.projectDir, ".local", options.stack);
  const { config, changes } = offlineConfig(
    readStackConfig(options.projectDir, options.stack),
    options.stack,
    options.config,
  );
  const { namePrefix, region } = config;
  print(`npm start: the ${namePrefix} pipeline on this machine — stack ${options.stack}, no AWS account`);
  print(`config: Pulumi.${options.stack}.yaml${changes.length ? ", changed for this run:" : ""}`);
  for (const c of changes) print(`  ${c.key} ${c.from ?? "(unset)"} → ${c.to} (${c.why})`);
  if (options.clean) await rm(workDir, { recursive: true, force: true });
  print(`state: ${displayPath(workDir)}${options.clean ? " (cleaned)" : " (--clean starts over)"}`);

  // --- What `pulumi up` would have created: the data lake with the training code and the inference recipe.
  const objects = new FileObjectStore(path.join(workDir, "bucket"), `${namePrefix}-data-lake-local`);
  const labels = new FileLabelStore(path.join(workDir, "label-store", `${namePrefix}-labels.jsonl`));
  const components = new LocalComponentRegistry(path.join(workDir, "greengrass", "components"), region, LOCAL_ACCOUNT);
  const code = trainingCodeArchive(TRAINING_DIR);
  await objects.write(code.key, code.tarball, "application/gzip");
  const names = componentNames(namePrefix);
  const inferenceVersion = inferenceComponentVersion(edgeSourceHash());
  const resources = localResources(config, objects.bucket, code.key, inferenceVersion);
  const artifactFile = `scratch-detector-linux-${config.edge.architecture}.zip`;
  const recipe = inferenceComponentRecipe({
    componentName: names.inference,
    componentVersion: inferenceVersion,
    artifactUri: `s3://${objects.bucket}/${componentArtifactKey(names.inference, inferenceVersion, artifactFile)}`,
    modelComponentName: names.model,
    architecture: config.edge.architecture,
    topic: config.edge.topic,
    intervalSeconds: config.edge.intervalSeconds,
    imagesDir: config.edge.imagesDir,
    transport: "greengrass-ipc",
  });
  await objects.write(resources.inferenceRecipeKey, JSON.stringify(recipe, null, 2), "application/json");

  // --- Data: images into the data lake, the workforce's answers, the device's camera.
  const truth = await GroundTruth.open(path.join(workDir, "ground-truth.json"));
  const cameraDir = path.join(workDir, "device", "camera");
  const seedContext = {
    objects,
    labels,
    truth,
    cameraDir,
    batch: config.labeling.maxImagesPerJob,
    classes: config.labeling.classes,
  };
  const data = options.dataset
    ? await seedDataset(seedContext, options.dataset)
    : await seedSynthetic(seedContext, {
        seed: options.seed,
        count: options.images ?? syntheticCount(config),
        cameraCount: options.cameraImages,
      });
  print(
    `data: ${data.source}: ${data.images} images (${data.added} added by this run` +
      `${data.earlierLabels ? `, ${data.earlierLabels} with earlier labels` : ""}); camera: ${data.camera} images`,
  );
  if (data.skipped.length > 0) print(`  left out ${data.skipped.length}: ${data.skipped.slice(0, 3).join("; ")}`);

  // --- The local cloud.
  const broker = await EmbeddedBroker.start();
  const edgeResults = new EdgeResults(broker, config.edge.topic);
  const trainingMode = await chooseTrainingMode(options, environment);
  print(
    trainingMode.kind === "python"
      ? `training: ${trainingMode.python} runs training/train.py on the CPU`
      : `training: none — ${trainingMode.reason}; the training job ships the committed demo model (models/demo)`,
  );
  const training = new LocalTraining({
    objects,
    jobsDir: path.join(workDir, "sagemaker", "training"),
    mode: trainingMode,
    region,
    account: LOCAL_ACCOUNT,
    onLine: (line) => {
      if (!line.startsWith("metric: ")) print(`  training │ ${line}`);
    },
  });
  const workforce = new LocalLabelingWorkforce(objects, truth, region, LOCAL_ACCOUNT);
  const registry = new LocalModelRegistry(path.join(workDir, "model-registry.json"), region, LOCAL_ACCOUNT);
  const thingName = `${namePrefix}-local-device`;
  const greengrass = new LocalGreengrass({
    registry: components,
    objects,
    rootDir: path.join(workDir, "greengrass", "device"),
    thingName,
    broker,
    topic: config.edge.topic,
    configuration: {
      transport: "mqtt",
      broker: broker.url,
      imagesDir: cameraDir,
      intervalSeconds: options.edgeInterval,
    },
    // The embedded broker speaks MQTT 3.1.1 only.
    environment: { QI_EDGE_MQTT_VERSION: "3.1.1" },
    detectorEntry: EDGE_MAIN,
    region,
    account: LOCAL_ACCOUNT,
    onDetectorLine: detectorLinePrinter(print),
  });
  print(`broker: ${broker.url} (embedded aedes, MQTT 3.1.1); device ${thingName}, camera ${displayPath(cameraDir)}`);

  const notifications: OfflineResult["notifications"] = [];
  const log = quietLog(print);
  const definition = buildPipelineDefinition(
    pipelineDefinitionArgs(
      {
        namePrefix,
        region,
        labeling: config.labeling,
        dataset: config.dataset,
        training: config.training,
        evaluation: config.evaluation,
        approvalStatus: config.registry.approvalStatus,
        compilation: config.compilation,
        deploy: config.deploy,
        modelComponentName: names.model,
        inferenceComponentName: names.inference,
      },
      resources,
    ),
  );
  const neoOffline = () => {
    throw new ServiceError(
      "SageMaker.ValidationException",
      "SageMaker Neo cannot compile offline; use compilation.target=onnx",
    );
  };
  const results = new Map<string, unknown>();
  const handlers = recording(
    handlersByState(definition, {
      ...lambdaResources(resources.functions, pipelineLambdas({ objects, labels, components, log })),
      "arn:aws:states:::sagemaker:createLabelingJob.sync": async (request) => {
        const output = await workforce.createLabelingJob(request);
        const job = workforce.jobs.at(-1)!;
        print(
          `  ${job.kind} job ${job.name}: ${job.objects} images, ${job.labeled} answered` +
            `${job.failed ? `, ${job.failed} failed` : ""}${job.kind === "verification" ? `, ${job.incorrect} judged incorrect` : ""}` +
            ` (local workforce, answering from ground truth)`,
        );
        return output;
      },
      "arn:aws:states:::sagemaker:createTrainingJob.sync": (request) => training.createTrainingJob(request),
      "arn:aws:states:::aws-sdk:sagemaker:createModelPackage": (request) => registry.createModelPackage(request),
      "arn:aws:states:::aws-sdk:sagemaker:describeModelPackage": (request) => registry.describeModelPackage(request),
      "arn:aws:states:::aws-sdk:sagemaker:createCompilationJob": neoOffline,
      "arn:aws:states:::aws-sdk:sagemaker:describeCompilationJob": neoOffline,
      "arn:aws:states:::aws-sdk:greengrassv2:createDeployment": (request) => greengrass.createDeployment(request),
      "arn:aws:states:::aws-sdk:iot:describeJob": (request) => greengrass.describeJob(request),
      "arn:aws:states:::sns:publish": (request) => {
        const message = z
          .looseObject({ TopicArn: z.string(), Subject: z.string().max(100), Message: z.unknown() })
          .parse(request);
        const text = typeof message.Message === "string" ? message.Message : JSON.stringify(message.Message);
        notifications.push({ Subject: message.Subject, Message: text });
        print(`  alert to ${message.TopicArn}: ${message.Subject}`);
        return { MessageId: `local-${notifications.length}` };
      },
    }),
    results,
  );

  // --- Run it, printing each stage as it starts and ends.
  const events: LocalEventLogEntry[] = [];
  let shown: StageProgress[] = [];
  const stagesNow = () => stageProgress(buildProgress(fromLocalEventLog(events)), PIPELINE_STAGES);
  const executionName = `offline-${new Date(started)
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z")}`;
  const waitMs = Object.fromEntries(
    Object.entries(definition.States)
      .filter(([, state]) => state.Type === "Wait")
      .map(([name]) => [name, LOCAL_POLL_SECONDS * 1000]),
  );
  print(
    `deployment checks every ${LOCAL_POLL_SECONDS} s, at most ${config.deploy.maxPolls} ` +
      `(deploy.pollIntervalSeconds ${config.deploy.pollIntervalSeconds} s is for fleets; the local device answers in seconds)`,
  );
  let execution;
  try {
    execution = await runLocally(definition, {
      input: {},
      execution: {
        region,
        account: LOCAL_ACCOUNT,
        stateMachineName: `${namePrefix}-pipeline`,
        name: executionName,
        startTime: new Date(started),
      },
      handlers,
      waitMs,
      onEvent: (event) => {
        events.push(event);
        // A stage is between two of its states at each StateExited; the next event says where the run went.
        if (event.type === "StateExited") return;
        const current = stagesNow();
        // Stages a run never enters are listed once, in the summary's table.
        for (const line of renderStageChanges(shown, current, Date.now())) {
          if (!line.endsWith(": skipped")) print(`[${clock()}] ${line}`);
        }
        shown = current;
      },
    });
  } finally {
    training.stopAll();
  }

  // --- After a deployment: watch the detector for a while, as an operator would.
  const finalStages = stagesNow();
  const progress = buildProgress(fromLocalEventLog(execution.events));
  const outcome = (execution.output?.outcome as string | undefined) ?? null;
  const deployment = greengrass.current;
  const deployed = outcome === "deployed" && deployment?.status === "SUCCEEDED";
  let window: { from: number; to: number } | undefined;
  if (deployed && deployment.firstResultAt !== undefined) {
    print(`[${clock()}] watching the detector for ${options.edgeSeconds} s`);
    const from = Date.now();
    await sleep(options.edgeSeconds * 1000);
    window = { from, to: Date.now() };
  }
  const watched = window ? edgeResults.stats(window.from, window.to) : undefined;
  const all = edgeResults.stats();
  const failed = failedState(progress, PIPELINE_STAGES);
  const evaluation = results.get(STATES.evaluateModel) as EvaluateModelResult | undefined;
  const compiled = results.get(STATES.optimiseOnnx) as CompileOnnxResult | undefined;
  const dataset = results.get(STATES.buildDataset) as BuildDatasetResult | undefined;
  const ingest = results.get(STATES.ingestLabels) as IngestLabelsResult | undefined;
  const job = training.jobs.at(-1);
  const result: OfflineResult = {
    status: execution.status,
    outcome,
    executionArn: execution.executionArn,
    path: execution.events.filter((e) => e.type === "StateEntered").map((e) => e.state?.name ?? "?"),
    stages: finalStages.map((stage) => ({
      name: stage.name,
      status: stage.status,
      seconds: seconds(stageElapsed(stage, Date.now())),
    })),
    failure:
      execution.status === "FAILED"
        ? {
            state: failed?.name ?? "?",
            error: failed?.error ?? execution.error?.Error ?? "",
            cause: failed?.cause ?? execution.error?.Cause ?? "",
          }
        : null,
    data,
    labeled: ingest?.approved ?? 0,
    dataset: dataset?.counts ?? null,
    evaluation: evaluation
      ? {
          passed: evaluation.passed,
          approvalStatus: evaluation.approvalStatus,
          reason: evaluation.reason,
          metrics: evaluation.metrics,
        }
      : null,
    map50_95: evaluation?.metrics.validation.map50_95 ?? null,
    training: job
      ? {
          mode: job.mode,
          seconds: job.seconds,
          reason: trainingMode.kind === "demo-model" ? trainingMode.reason : undefined,
        }
      : null,
    compiled: compiled
      ? {
          goldenImages: compiled.goldenImages,
          maxAbsDiff: compiled.maxAbsDiff,
          originalBytes: compiled.originalBytes,
          optimisedBytes: compiled.optimisedBytes,
        }
      : null,
    deployed,
    deployment: deployment
      ? {
          componentVersion: deployment.components[names.model] ?? "",
          modelVersion: deployment.modelVersion,
          secondsToFirstResult: deployment.firstResultAt
            ? seconds(deployment.firstResultAt - deployment.startedAt)
            : null,
        }
      : null,
    detectionsReceived: all.results,
    detectionsPerSecond:
      watched && window ? Math.round((watched.results / ((window.to - window.from) / 1000)) * 10) / 10 : null,
    edge: {
      results: all.results,
      detections: all.detections,
      withDetections: all.withDetections,
      errors: all.errors,
      invalid: all.invalid.length,
    },
    notifications,
    changes,
    workDir,
    wallSeconds: seconds(Date.now() - started) ?? 0,
  };
  const keepRunning = options.keepRunning && deployed && environment.untilStopped;
  if (!keepRunning) await greengrass.close();
  printSummary(result, { print, workDir, thingName, edgeSeconds: options.edgeSeconds, ingest, stages: finalStages });

  if (keepRunning) {
    print(`the detector keeps publishing to ${broker.url} (topic ${config.edge.topic}/#); Ctrl-C stops it`);
    await environment.untilStopped!();
    await greengrass.close();
  }
  edgeResults.close();
  await broker.stop();
  return result;
}

/** Handlers log through Powertools in AWS; here only their warnings and errors are worth a line. */
function quietLog(print: (line: string) => void): Log {
  const line = (level: string) => (message: string, extra?: Record<string, unknown>) =>
    print(`  ${level}: ${message}${extra ? ` ${JSON.stringify(extra)}` : ""}`);
  return { debug: () => undefined, info: () => undefined, warn: line("warning"), error: line("error") };
}

async function chooseTrainingMode(options: OfflineOptions, environment: OfflineEnvironment): Promise<TrainingMode> {
  if (options.skipTraining) return { kind: "demo-model", modelDir: DEMO_MODEL_DIR, reason: "--skip-training" };
  const python = environment.python ?? findPython();
  const torch = checkTorch(python);
  if (!torch.ok) {
    return { kind: "demo-model", modelDir: DEMO_MODEL_DIR, reason: `${torch.detail}; to train, ${TORCH_INSTALL_HINT}` };
  }
  return { kind: "python", python };
}

function printSummary(
  result: OfflineResult,
  context: {
    print: (line: string) => void;
    workDir: string;
    thingName: string;
    edgeSeconds: number;
    stages: StageProgress[];
    ingest?: IngestLabelsResult;
  },
): void {
  const { print } = context;
  const row = (name: string, text: string) => print(`  ${name.padEnd(11)} ${text}`);
  const fixed = (n: number) => n.toFixed(3);
  print("");
  print(
    result.status === "SUCCEEDED"
      ? `SUCCEEDED in ${formatDuration(result.wallSeconds * 1000)}: ${result.outcome}`
      : `FAILED after ${formatDuration(result.wallSeconds * 1000)}`,
  );
  if (result.failure) {
    print(`failed state: ${result.failure.state}`);
    print(`error: ${result.failure.error}`);
    print(`cause: ${result.failure.cause}`);
  }
  for (const line of renderStageTable(context.stages, Date.now())) print(`  ${line}`);
  const ingest = context.ingest;
  row(
    "labeled",
    ingest
      ? `${ingest.approved} images this run` +
          `${ingest.rejected ? ` (${ingest.rejected} lines rejected: ${JSON.stringify(ingest.rejectedByReason)})` : ""}`
      : "nothing new to label",
  );
  if (result.dataset) {
    const { train, validation, test } = result.dataset;
    row("dataset", `train ${train}, validation ${validation}, test ${test} images`);
  }
  if (result.training) {
    row(
      "training",
      result.training.mode === "python"
        ? `train.py on the CPU, ${formatDuration(result.training.seconds * 1000)}`
        : `none (${result.training.reason}): the demo model, with the metrics of its own training on the real sample data`,
    );
  }
  if (result.evaluation) {
    const { validation, test } = result.evaluation.metrics;
    row(
      "model",
      `validation mAP50-95 ${fixed(validation.map50_95)}, mAP50 ${fixed(validation.map50)}` +
        `${test ? `; test mAP50-95 ${fixed(test.map50_95)}` : ""} → ${result.evaluation.approvalStatus}`,
    );
    row("gate", result.evaluation.reason);
    if (result.outcome === "awaiting-approval") {
      row(
        "approval",
        "in AWS a person approves the package in the model registry, which starts a deploy run; " +
          "--config registry.approvalStatus=Approved deploys what passes the gate offline",
      );
    }
  }
  if (result.compiled) {
    const { goldenImages, maxAbsDiff, originalBytes, optimisedBytes } = result.compiled;
    row(
      "compile",
      `onnxruntime "extended": outputs on ${goldenImages} golden images agree (max |Δ| ${maxAbsDiff === 0 ? "0" : maxAbsDiff.toExponential(1)} ≤ 1e-3); ` +
        `${(originalBytes / 1e6).toFixed(1)} MB → ${(optimisedBytes / 1e6).toFixed(1)} MB`,
    );
  }
  if (result.deployment) {
    const { componentVersion, modelVersion, secondsToFirstResult } = result.deployment;
    row(
      "deployment",
      `model component ${componentVersion} (${modelVersion}) on ${context.thingName}: ` +
        (result.deployed ? `first valid result ${secondsToFirstResult} s after CreateDeployment` : "not running"),
    );
  } else {
    row("deployment", "none");
  }
  const { edge } = result;
  row(
    "edge",
    `${result.detectionsReceived} results received (${edge.withDetections} with scratches, ${edge.detections} boxes), ` +
      `${edge.errors} errors, ${edge.invalid} invalid messages` +
      (result.detectionsPerSecond !== null
        ? `; ${result.detectionsPerSecond} results/s over ${context.edgeSeconds} s`
        : ""),
  );
  row("state", `${displayPath(context.workDir)}/ (bucket/, label-store/, model-registry.json, greengrass/)`);
  row("wall time", formatDuration(result.wallSeconds * 1000));
}
