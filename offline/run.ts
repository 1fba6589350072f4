import { rm } from "node:fs/promises";
import * as path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { z } from "zod";
import { renderStageChanges, stageElapsed } from "../cli/render";
import type { StackConfig } from "../config/schema";
import { readStackConfig } from "../config/stackFiles";
import { deviceImagesPrefix, isImageKey } from "../contracts/dataLake";
import { componentNames } from "../contracts/modelComponent";
import type { BuildDatasetResult } from "../lambdas/buildDataset/handler";
import type { CompileOnnxResult } from "../lambdas/compileOnnx/handler";
import type { EvaluateModelResult } from "../lambdas/evaluateModel/handler";
import type { IngestLabelsResult } from "../lambdas/ingestLabels/handler";
import type { Log } from "../lib/ports";
import type { StateMachineDefinition } from "../stateMachines/asl";
import { pipelineDefinitionArgs } from "../stateMachines/definitionArgs";
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
import { checkTorch, findPython, TORCH_INSTALL_HINT } from "../training/python";
import { EmbeddedBroker } from "./broker";
import { DataLakeSeed, seedDataset, seedSynthetic } from "./dataSources";
import { EdgeResults } from "./edgeResults";
import { GroundTruth, LocalLabelingWorkforce } from "./labelingWorkforce";
import { lambdaResources, pipelineLambdas } from "./lambdas";
import { handlersByState, LocalExecutionResult, runLocally, TaskHandler } from "./localExecution";
import { DeploymentStatus, LocalGreengrass } from "./localGreengrass";
import { LOCAL_ACCOUNT, LocalStack, provisionLocalStack } from "./localStack";
import { LocalTraining, TrainingMode } from "./localTraining";
import { clock, detectorLinePrinter, displayPath, Print, printSummary, trainingLinePrinter } from "./report";
import { ServiceError } from "./serviceError";
import { ConfigChange, offlineConfig } from "./settings";
import { startViewer, Viewer } from "../viewer";
import { runtimeDescription } from "../lib/runtime";

/** Seconds between the deployment's checks locally: the local device answers in seconds, not minutes. */
export const LOCAL_POLL_SECONDS = 2;
/** Synthetic parts on a first run unless the stack needs more (`syntheticCount`). */
export const DEFAULT_IMAGES = 160;
/** The committed demo model: what the training job ships when it cannot or should not train. */
export const DEMO_MODEL_DIR = path.resolve(__dirname, "..", "models", "demo");
const EDGE_MAIN = path.resolve(__dirname, "..", "edge", "src", "main.ts");

/** Enough parts for the stack's dataset minimum, with room for the splits: prod asks for 200 labeled images. */
export function syntheticCount(config: StackConfig): number {
  return Math.max(DEFAULT_IMAGES, Math.ceil(config.dataset.minImages * 1.25));
}

export interface OfflineOptions {
  projectDir: string;
  stack: string;
  /** Where the local cloud keeps its state; default `<projectDir>/.local/<stack>`. */
  workDir?: string;
  /** Start from an empty data lake, label store, registry and device. */
  clean: boolean;
  /** A real dataset folder (images/ + labels/labels.csv) instead of synthetic parts. */
  dataset?: string;
  /** Synthetic parts in the data lake on a first run (default: `syntheticCount`), and their seed. */
  images?: number;
  seed: number;
  /** Parts in the edge device's camera folder. */
  cameraImages: number;
  /** Ship the committed demo model instead of training. */
  skipTraining: boolean;
  /** `--config key=value` assignments, qualified keys. */
  config: Record<string, string>;
  /** Seconds to watch the deployed detector before the summary, and its seconds between images. */
  edgeSeconds: number;
  edgeInterval: number;
  /** Keep the broker and the detector running after the summary until `untilStopped` resolves. */
  keepRunning: boolean;
  /** Port of the live viewer (0: any free port); null: no viewer. */
  viewerPort: number | null;
}

export interface OfflineEnvironment {
  /** Lines for people: stages, jobs, the summary. */
  print: Print;
  /** The python that trains (default: `findPython()`). */
  python?: string;
  /** Resolves when a kept-running run should end (Ctrl-C). */
  untilStopped?: () => Promise<void>;
}

export interface OfflineResult {
  status: "SUCCEEDED" | "FAILED";
  outcome: string | null;
  executionArn: string;
  /** The states the execution entered, in order. */
  path: string[];
  stages: { name: string; status: string; seconds: number | null }[];
  failure: { state: string; error: string; cause: string } | null;
  data: DataLakeSeed;
  /** Images the run's labeling job labeled (approved labels ingested). */
  labeled: number;
  dataset: BuildDatasetResult["counts"] | null;
  evaluation: Pick<EvaluateModelResult, "passed" | "approvalStatus" | "reason" | "metrics"> | null;
  map50_95: number | null;
  training: { mode: TrainingMode["kind"]; seconds: number; reason?: string; log?: string } | null;
  compiled: Pick<CompileOnnxResult, "goldenImages" | "maxAbsDiff" | "originalBytes" | "optimisedBytes"> | null;
  /** The run deployed a model and the local device runs it. */
  deployed: boolean;
  deployment: {
    componentVersion: string;
    modelVersion: string;
    status: DeploymentStatus;
    reason?: string;
    secondsToFirstResult: number | null;
  } | null;
  /** Where the live viewer shows the detector's results, when it runs. */
  viewerUrl: string | null;
  /**
   * Camera images the detector sent back for labeling into the local data lake (`images/devices/<thing>/…`), all of
   * them so far: the next run's labeling stage picks them up.
   */
  sentForLabeling: number;
  /** Valid result messages received over MQTT (one per inspected image), and their rate while watched. */
  detectionsReceived: number;
  detectionsPerSecond: number | null;
  edge: { results: number; detections: number; withDetections: number; errors: number; invalid: number };
  notifications: { Subject: string; Message: string }[];
  changes: ConfigChange[];
  workDir: string;
  wallSeconds: number;
}

const seconds = (ms: number | undefined) => (ms === undefined ? null : Math.round(ms / 100) / 10);

/** Handlers log through Powertools in AWS; here only their warnings and errors are worth a line. */
function quietLog(print: Print): Log {
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

interface LocalServices {
  stack: LocalStack;
  workforce: LocalLabelingWorkforce;
  training: LocalTraining;
  greengrass: LocalGreengrass;
  notifications: OfflineResult["notifications"];
  print: Print;
}

/** Every Task resource of the definition → its local implementation. */
function localHandlers(definition: StateMachineDefinition, services: LocalServices): Record<string, TaskHandler> {
  const { stack, workforce, training, greengrass, notifications, print } = services;
  const { objects, labels, components, registry, resources } = stack;
  const neoOffline = () => {
    throw new ServiceError(
      "SageMaker.ValidationException",
      "SageMaker Neo cannot compile offline; use compilation.target=onnx",
    );
  };
  return handlersByState(definition, {
    ...lambdaResources(resources.functions, pipelineLambdas({ objects, labels, components, log: quietLog(print) })),
    "arn:aws:states:::sagemaker:createLabelingJob.sync": async (request) => {
      const output = await workforce.createLabelingJob(request);
      const job = workforce.jobs.at(-1)!;
      const failed = job.failed ? `, ${job.failed} failed` : "";
      const verdicts = job.kind === "verification" ? `, ${job.incorrect} judged incorrect` : "";
      print(
        `  ${job.kind} job ${job.name}: ${job.objects} images, ${job.labeled} answered${failed}${verdicts} ` +
          "(local workforce, answering from ground truth)",
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
        .looseObject({ TopicArn: z.string(), Subject: z.string().min(1).max(100), Message: z.unknown() })
        .parse(request);
      // Step Functions' SNS integration sends an object Message as its JSON text.
      const text = typeof message.Message === "string" ? message.Message : JSON.stringify(message.Message);
      notifications.push({ Subject: message.Subject, Message: text });
      print(`  alert to ${message.TopicArn}: ${message.Subject}`);
      return { MessageId: `local-${notifications.length}` };
    },
  });
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
  const names = componentNames(namePrefix);
  print(
    `npm start: the ${namePrefix} pipeline on this machine — stack ${options.stack}, no AWS account, ${runtimeDescription()}`,
  );
  print(`config: Pulumi.${options.stack}.yaml${changes.length ? ", changed for this run:" : ""}`);
  for (const c of changes) print(`  ${c.key} ${c.from ?? "(unset)"} → ${c.to} (${c.why})`);
  if (options.clean) await rm(workDir, { recursive: true, force: true });
  print(`state: ${displayPath(workDir)}${options.clean ? " (cleaned)" : " (--clean starts over)"}`);

  const stack = await provisionLocalStack(config, workDir);
  const truth = await GroundTruth.open(path.join(workDir, "ground-truth.json"));
  const cameraDir = path.join(workDir, "device", "camera");
  const seedContext = {
    ...stack,
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
  const earlier = data.earlierLabels ? `, ${data.earlierLabels} with earlier labels` : "";
  print(
    `data: ${data.source}: ${data.images} images (${data.added} added by this run${earlier}); camera: ${data.camera} images`,
  );
  if (data.skipped.length > 0) print(`  left out ${data.skipped.length}: ${data.skipped.slice(0, 3).join("; ")}`);

  const trainingMode = await chooseTrainingMode(options, environment);
  print(
    trainingMode.kind === "python"
      ? `training: ${trainingMode.python} runs training/train.py on the CPU`
      : `training: none — ${trainingMode.reason}; the training job ships the committed demo model (models/demo)`,
  );
  const broker = await EmbeddedBroker.start();
  const edgeResults = new EdgeResults(broker, config.edge.topic);
  const thingName = `${namePrefix}-local-device`;
  const training = new LocalTraining({
    objects: stack.objects,
    jobsDir: path.join(workDir, "sagemaker", "training"),
    mode: trainingMode,
    region,
    account: LOCAL_ACCOUNT,
    onLine: trainingLinePrinter(print),
  });
  const greengrass = new LocalGreengrass({
    registry: stack.components,
    objects: stack.objects,
    rootDir: path.join(workDir, "greengrass", "device"),
    thingName,
    broker,
    topic: config.edge.topic,
    // A deployment's configuration update: the detector talks to the embedded broker and reads the local camera.
    configuration: {
      transport: "mqtt",
      broker: broker.url,
      imagesDir: cameraDir,
      intervalSeconds: options.edgeInterval,
      // Images the detector is unsure about go back into the local data lake, where the next run labels them.
      upload: stack.objects.root,
    },
    // The embedded broker speaks MQTT 3.1.1 only.
    environment: { QI_EDGE_MQTT_VERSION: "3.1.1" },
    detectorEntry: EDGE_MAIN,
    region,
    account: LOCAL_ACCOUNT,
    onDetectorLine: detectorLinePrinter(print),
  });
  print(`broker: ${broker.url} (embedded aedes, MQTT 3.1.1); device ${thingName}, camera ${displayPath(cameraDir)}`);
  const viewer = await startLocalViewer(options.viewerPort, broker.url, cameraDir, config.edge.topic, print);

  try {
    const definition = buildPipelineDefinition(
      pipelineDefinitionArgs(
        {
          namePrefix,
          region,
          tags: config.tags,
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
        stack.resources,
      ),
    );
    const notifications: OfflineResult["notifications"] = [];
    const workforce = new LocalLabelingWorkforce(stack.objects, truth, region, LOCAL_ACCOUNT);
    const results = new Map<string, unknown>();
    const handlers = recording(
      localHandlers(definition, { stack, workforce, training, greengrass, notifications, print }),
      results,
    );
    print(
      `deployment checks every ${LOCAL_POLL_SECONDS} s, at most ${config.deploy.maxPolls} ` +
        `(deploy.pollIntervalSeconds ${config.deploy.pollIntervalSeconds} s is for fleets; the local device answers in seconds)`,
    );
    const execution = await execute(definition, handlers, { region, namePrefix, started, print });
    training.stopAll();

    // After a deployment: watch the detector for a while, as an operator would.
    const deployment = greengrass.deployments.at(-1);
    const outcome = (execution.output?.outcome as string | undefined) ?? null;
    const deployed = outcome === "deployed" && deployment?.status === "SUCCEEDED";
    let watched: { results: number; seconds: number } | undefined;
    if (deployed) {
      print(`[${clock()}] watching the detector for ${options.edgeSeconds} s`);
      const from = Date.now();
      await sleep(options.edgeSeconds * 1000);
      const to = Date.now();
      watched = { results: edgeResults.stats(from, to).results, seconds: (to - from) / 1000 };
    }

    const progress = buildProgress(fromLocalEventLog(execution.events));
    const stages = stageProgress(progress, PIPELINE_STAGES);
    const failed = failedState(progress, PIPELINE_STAGES);
    const evaluation = results.get(STATES.evaluateModel) as EvaluateModelResult | undefined;
    const compiled = results.get(STATES.optimiseOnnx) as CompileOnnxResult | undefined;
    const ingest = results.get(STATES.ingestLabels) as IngestLabelsResult | undefined;
    const job = training.jobs.at(-1);
    const all = edgeResults.stats();
    const result: OfflineResult = {
      status: execution.status,
      outcome,
      executionArn: execution.executionArn,
      path: execution.events.filter((e) => e.type === "StateEntered").map((e) => e.state?.name ?? "?"),
      stages: stages.map((s) => ({ name: s.name, status: s.status, seconds: seconds(stageElapsed(s, Date.now())) })),
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
      dataset: (results.get(STATES.buildDataset) as BuildDatasetResult | undefined)?.counts ?? null,
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
            log: job.log,
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
            status: deployment.status,
            reason: deployment.reason,
            secondsToFirstResult: seconds(deployment.firstResultAt && deployment.firstResultAt - deployment.startedAt),
          }
        : null,
      viewerUrl: viewer?.url ?? null,
      sentForLabeling: 0,
      detectionsReceived: all.results,
      detectionsPerSecond: watched ? Math.round((watched.results / watched.seconds) * 10) / 10 : null,
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
    result.sentForLabeling = await countSentForLabeling(stack, thingName);
    const keepRunning = options.keepRunning && deployed && environment.untilStopped;
    if (!keepRunning) await greengrass.close();
    printSummary(print, result, { stages, ingest, thingName, edgeSeconds: options.edgeSeconds });
    if (keepRunning) {
      print(`the detector keeps publishing to ${broker.url} (topic ${config.edge.topic}/#); Ctrl-C stops it`);
      await environment.untilStopped!();
    }
    return result;
  } finally {
    training.stopAll();
    await greengrass.close();
    await viewer?.close();
    edgeResults.close();
    await broker.stop();
  }
}

/** The live viewer on the embedded broker; a run goes on without it when it cannot start (e.g. its port is taken). */
async function startLocalViewer(
  port: number | null,
  broker: string,
  imagesDir: string,
  topic: string,
  print: Print,
): Promise<Viewer | undefined> {
  if (port === null) return undefined;
  try {
    const viewer = await startViewer({ broker, imagesDir, port, topic });
    print(`viewer: ${viewer.url} shows the detector's results as they arrive`);
    return viewer;
  } catch (error) {
    print(`viewer: not started (${(error as Error).message}); the run goes on without it`);
    return undefined;
  }
}

/** Images the device has sent back for labeling so far (their metadata files beside them do not count). */
async function countSentForLabeling(stack: LocalStack, thingName: string): Promise<number> {
  let count = 0;
  for await (const object of stack.objects.list(deviceImagesPrefix(thingName))) if (isImageKey(object.key)) count++;
  return count;
}

/** Runs one execution of the definition, printing each stage as it starts and ends. */
async function execute(
  definition: StateMachineDefinition,
  handlers: Record<string, TaskHandler>,
  context: { region: string; namePrefix: string; started: number; print: Print },
): Promise<LocalExecutionResult> {
  const { print } = context;
  const events: LocalEventLogEntry[] = [];
  let shown: StageProgress[] = [];
  const stamp = new Date(context.started)
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
  const waitMs = Object.fromEntries(
    Object.entries(definition.States)
      .filter(([, state]) => state.Type === "Wait")
      .map(([name]) => [name, LOCAL_POLL_SECONDS * 1000]),
  );
  return runLocally(definition, {
    input: {},
    execution: {
      region: context.region,
      account: LOCAL_ACCOUNT,
      stateMachineName: `${context.namePrefix}-pipeline`,
      name: `offline-${stamp}`,
      startTime: new Date(context.started),
    },
    handlers,
    waitMs,
    onEvent: (event) => {
      events.push(event);
      // A stage is between two of its states at each StateExited; the next event says where the run went.
      if (event.type === "StateExited") return;
      const current = stageProgress(buildProgress(fromLocalEventLog(events)), PIPELINE_STAGES);
      // Stages a run never enters are listed once, in the summary's table.
      for (const line of renderStageChanges(shown, current, Date.now())) {
        if (!line.endsWith(": skipped")) print(`[${clock()}] ${line}`);
      }
      shown = current;
    },
  });
}
