import { componentArtifactKey, componentNames, INFERENCE_RECIPE_FILE } from "../../contracts/modelComponent";
import { inferenceComponentRecipe } from "../../edge/recipe";
import { lambdaResources, pipelineLambdas } from "../../offline/lambdas";
import { handlersByState, runLocally, TaskHandler } from "../../offline/localExecution";
import { LocalTaskTokens, PUT_OBJECT_AND_WAIT, putObjectAndWait } from "../../offline/taskTokens";
import { STATES } from "../../stateMachines/states";
import { PUT_OBJECT, putObjectLocally } from "../../offline/s3Integration";
import type { RunningExecution } from "../../lib/ports";
import { PIPELINE_FUNCTIONS, PipelineFunction } from "../../stateMachines/functions";
import { buildPipelineDefinition, PipelineDefinitionArgs } from "../../stateMachines/qualityInspection";
import { ACCOUNT, CloudScenario, FakeCloud, sampleImage } from "../fakes/fakeCloud";
import { labelFor } from "./labels";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { labelsEngine } from "../../lib/labels/duckDbLabels";
import { recordRun } from "./runCoverage";
import {
  MemoryComponentRegistry,
  MemoryLabelStore,
  MemoryObjectStore,
  noSleep,
  recordingLog,
} from "../fakes/memoryPorts";

const INFERENCE_VERSION = "1.0.4242";
const PIPELINE_FUNCTION_NAMES = Object.keys(PIPELINE_FUNCTIONS) as PipelineFunction[];

/** The definition's inputs as a dev stack would have them, with test ARNs. */
export function testDefinitionArgs(): PipelineDefinitionArgs {
  const fn = (name: string) => `arn:aws:lambda:eu-west-1:${ACCOUNT}:function:qi-dev-${name}`;
  return {
    namePrefix: "qi-dev",
    region: "eu-west-1",
    tags: { project: "qualityinspection", stack: "dev" },
    bucketName: "qi-test-lake",
    functions: {
      startRun: fn("start-run"),
      findUnlabeledImages: fn("find-unlabeled-images"),
      prepareLabelingJob: fn("prepare-labeling-job"),
      ingestLabels: fn("ingest-labels"),
      buildDataset: fn("build-dataset"),
      evaluateModel: fn("evaluate-model"),
      compileOnnx: fn("compile-onnx"),
      checkFleetResults: fn("check-fleet-results"),
      createModelComponent: fn("create-model-component"),
    },
    alertsTopicArn: `arn:aws:sns:eu-west-1:${ACCOUNT}:qi-dev-alerts`,
    roles: {
      sagemaker: `arn:aws:iam::${ACCOUNT}:role/qi-dev-sagemaker`,
      labeling: `arn:aws:iam::${ACCOUNT}:role/qi-dev-labeling`,
    },
    labeling: {
      classes: ["scratch"],
      maxImagesPerJob: 50,
      workforce: {
        kind: "private",
        workteamArn: `arn:aws:sagemaker:eu-west-1:${ACCOUNT}:workteam/private-crowd/qi-dev-labelers`,
      },
      verification: false,
      provider: "groundtruth",
      builtin: { heartbeatSeconds: 3600, timeoutSeconds: 7200 },
    },
    dataset: {
      minImages: 20,
      minBoxes: 20,
      fractions: { train: 0.8, validation: 0.1, test: 0.1 },
      athenaAboveImages: 100_000,
    },
    training: {
      image: "763104351884.dkr.ecr.eu-west-1.amazonaws.com/pytorch-training:2.5.1-cpu-py311",
      instanceType: "ml.m5.xlarge",
      instanceCount: 1,
      maxRuntimeSeconds: 3600,
      epochs: 20,
      batchSize: 8,
      imageSize: { width: 320, height: 320 },
      seed: 0,
      scoreThreshold: 0.3,
      sourceUri: "s3://qi-test-lake/code/training-0123456789abcdef.tar.gz",
    },
    evaluation: { minMap50_95: 0.3, maxRegression: 0.02 },
    registry: { modelPackageGroupName: "qi-dev-scratch-detector", approvalStatus: "Approved" },
    compilation: { target: "jetson_xavier", pollIntervalSeconds: 30, maxPolls: 10 },
    deploy: {
      thingGroupArn: `arn:aws:iot:eu-west-1:${ACCOUNT}:thinggroup/qi-dev-fleet`,
      modelComponentName: componentNames("qi-dev").model,
      inferenceComponent: {
        name: componentNames("qi-dev").inference,
        version: INFERENCE_VERSION,
        recipeKey: componentArtifactKey(componentNames("qi-dev").inference, INFERENCE_VERSION, INFERENCE_RECIPE_FILE),
      },
      pollIntervalSeconds: 60,
      maxPolls: 10,
    },
  };
}

const IN_PROGRESS = {
  status: "IN_PROGRESS",
  devices: {
    NumberOfQueuedThings: 1,
    NumberOfInProgressThings: 1,
    NumberOfSucceededThings: 0,
    NumberOfFailedThings: 0,
    NumberOfRejectedThings: 0,
    NumberOfTimedOutThings: 0,
  },
};
const SUCCEEDED = {
  status: "IN_PROGRESS",
  devices: { ...IN_PROGRESS.devices, NumberOfQueuedThings: 0, NumberOfInProgressThings: 0, NumberOfSucceededThings: 2 },
};

/** A happy run: Neo finishes on its 3rd check, the deployment on its 3rd. */
export function happyCloud(): CloudScenario {
  return {
    metric: 0.45,
    extraLabelingLines: [],
    neoStatuses: ["STARTING", "INPROGRESS", "COMPLETED"],
    deployment: [
      IN_PROGRESS,
      { ...IN_PROGRESS, devices: { ...IN_PROGRESS.devices, NumberOfQueuedThings: 0 } },
      SUCCEEDED,
    ],
  };
}
export const DEPLOYMENT = { IN_PROGRESS, SUCCEEDED };

export interface Scenario {
  input?: unknown;
  executionName?: string;
  args?: (args: PipelineDefinitionArgs) => void;
  cloud?: Partial<CloudScenario>;
  /** Images already labeled, and images waiting for labels. */
  labeledImages?: number;
  newImages?: number;
  /** States whose first calls fail with these error names before the real handler runs. */
  failFirst?: Record<string, string[]>;
  /** States whose first calls fail with these error names after the real handler ran (a response lost). */
  failAfter?: Record<string, string[]>;
  /** Other executions of the state machine that are running while this one starts. */
  running?: RunningExecution[];
  /** Prepares the world before the run (e.g. seeds model packages for a deploy run). */
  before?: (world: World) => Promise<void> | void;
  /** labeling.provider=builtin: called once LabelImages wrote its batch file; labels it, or not (a timeout). */
  labelBatch?: (batchKey: string, world: World) => Promise<void> | void;
}

export interface World {
  objects: MemoryObjectStore;
  labels: MemoryLabelStore;
  components: MemoryComponentRegistry;
  cloud: FakeCloud;
  /** The execution's task tokens: the labeling app completes LabelImages' through them. */
  tokens: LocalTaskTokens;
}

export interface PipelineRun {
  world: World;
  /** The execution's output when it succeeded. */
  output?: Record<string, unknown> & { outcome?: string };
  /** The execution's error when it failed. */
  error?: { Error: string; Cause: string };
  /** States entered, in order: the path taken. */
  path: string[];
  /** State transitions as Step Functions counts them: every state entered, retries included. */
  transitions: number;
  retried: string[];
  /** The input each Task state received, by state. */
  taskInputs: Record<string, unknown[]>;
  notifications: { Subject: string; Message: string }[];
  /** The state machine ARNs StartRun listed running executions of. */
  listedRunsOf: string[];
  /** Every call a function made on its ports, in order: what its AWS adapters would send (permissions tests). */
  portCalls: PortCall[];
  /** What `labelBatch` threw, if it did. */
  labelBatchError?: Error;
}

export interface PortCall {
  fn: PipelineFunction;
  port: "objects" | "labels" | "components" | "executions" | "engine";
  method: string;
  args: unknown[];
}

/** The port with each method call recorded as one function's. */
function recordingPort<T extends object>(
  calls: PortCall[],
  fn: PipelineFunction,
  port: PortCall["port"],
  target: T,
): T {
  return new Proxy(target, {
    get(object, property) {
      const value = Reflect.get(object, property) as unknown;
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        calls.push({ fn, port, method: String(property), args });
        return (value as (...a: unknown[]) => unknown).apply(object, args);
      };
    },
  });
}

/**
 * Writes the images of a run's data lake and labels the first ones; stores the inference component's recipe where
 * `pulumi up` would.
 */
async function seed(world: World, args: PipelineDefinitionArgs, labeled: number, fresh: number): Promise<void> {
  const { inferenceComponent, modelComponentName } = args.deploy;
  const recipe = inferenceComponentRecipe({
    componentName: inferenceComponent.name,
    componentVersion: inferenceComponent.version,
    artifactUri: `s3://${args.bucketName}/components/${inferenceComponent.name}/${inferenceComponent.version}/scratch-detector-linux-x64.zip`,
    modelComponentName,
    imagesDir: "/var/lib/qualityinspection/images",
  });
  world.objects.put(inferenceComponent.recipeKey, JSON.stringify(recipe));
  const jpeg = await sampleImage();
  for (let i = 0; i < labeled + fresh; i++) {
    const key = `images/line-1/${i < labeled ? "part" : "new"}-${String(i).padStart(4, "0")}.jpg`;
    world.objects.put(key, jpeg, new Date(Date.UTC(2026, 0, 1, 0, i)));
    if (i < labeled)
      world.labels.records.set(labelFor(key).image_id, labelFor(key, { image_width: 90, image_height: 60 }));
  }
}

/**
 * DuckDB over the label store's records, as the offline store would hold them: BuildDataset's engine path for runs
 * whose lake is above `dataset.athenaAboveImages`. The file is gone when the engine closes.
 */
async function labelsEngineOver(labels: MemoryLabelStore) {
  const dir = mkdtempSync(path.join(tmpdir(), "qi-offline-store-"));
  const file = path.join(dir, "labels.jsonl");
  writeFileSync(file, [...labels.records.values()].map((record) => `${JSON.stringify(record)}\n`).join(""));
  const { engine, table } = await labelsEngine(file);
  const close = async () => {
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  };
  return { table, engine: { query: engine.query.bind(engine), rows: engine.rows.bind(engine), close } };
}

/** Runs the real definition locally: Lambda states run the real handlers on in-memory ports, waits take no time. */
export async function runPipeline(scenario: Scenario = {}): Promise<PipelineRun> {
  const args = testDefinitionArgs();
  scenario.args?.(args);
  const definition = buildPipelineDefinition(args);
  const objects = new MemoryObjectStore(args.bucketName, { recordArrivals: true });
  const world: World = {
    objects,
    labels: new MemoryLabelStore(),
    components: new MemoryComponentRegistry(),
    cloud: new FakeCloud(objects, { ...happyCloud(), ...scenario.cloud }),
    tokens: new LocalTaskTokens(),
  };
  await seed(world, args, scenario.labeledImages ?? 30, scenario.newImages ?? 10);
  await scenario.before?.(world);

  const log = recordingLog();
  const { labels, components, cloud } = world;
  const listedRunsOf: string[] = [];
  const taskToken = LocalTaskTokens.newToken();
  let labelBatchError: Error | undefined;
  const executions = {
    list: async (stateMachineArn: string) => {
      listedRunsOf.push(stateMachineArn);
      return scenario.running ?? [];
    },
  };
  // The real Lambda handlers on in-memory ports (each function's calls recorded), the fake cloud behind every service
  // integration.
  const portCalls: PortCall[] = [];
  const lambdas = Object.fromEntries(
    PIPELINE_FUNCTION_NAMES.map((fn) => {
      const on = <T extends object>(port: PortCall["port"], target: T) => recordingPort(portCalls, fn, port, target);
      const ports = {
        objects: on("objects", objects),
        labels: on("labels", labels),
        components: on("components", components),
        executions: on("executions", executions),
      };
      const splitEngine = async () => {
        const { engine, table } = await labelsEngineOver(labels);
        return { engine: on("engine", engine), table };
      };
      return [fn, pipelineLambdas({ ...ports, log, sleep: noSleep, splitEngine })[fn]];
    }),
  ) as Record<PipelineFunction, TaskHandler>;
  const handlers = handlersByState(definition, {
    ...lambdaResources(args.functions, lambdas),
    "arn:aws:states:::sagemaker:createLabelingJob.sync": (request) => cloud.labelingJob(request as never),
    "arn:aws:states:::sagemaker:createTrainingJob.sync": (request) => cloud.trainingJob(request as never),
    "arn:aws:states:::aws-sdk:sagemaker:createModelPackage": (request) => cloud.createModelPackage(request as never),
    "arn:aws:states:::aws-sdk:sagemaker:describeModelPackage": (request) =>
      cloud.describeModelPackage(request as never),
    "arn:aws:states:::aws-sdk:sagemaker:createCompilationJob": (request) =>
      cloud.createCompilationJob(request as never),
    "arn:aws:states:::aws-sdk:sagemaker:describeCompilationJob": (request) =>
      cloud.describeCompilationJob(request as never),
    "arn:aws:states:::aws-sdk:greengrassv2:createDeployment": (request) => cloud.createDeployment(request as never),
    "arn:aws:states:::aws-sdk:iot:describeJob": (request) => cloud.describeJob(request as never),
    "arn:aws:states:::sns:publish": (request) => cloud.publish(request as never),
    [PUT_OBJECT_AND_WAIT]: putObjectAndWait(
      objects,
      world.tokens,
      {
        token: taskToken,
        heartbeatSeconds: definition.States[STATES.labelImages] && args.labeling.builtin.heartbeatSeconds,
      },
      (key) => {
        // The person labels while the run waits; what goes wrong there is the test's to report.
        void Promise.resolve(scenario.labelBatch?.(key, world)).catch((error: Error) => (labelBatchError = error));
      },
    ),
    [PUT_OBJECT]: putObjectLocally(objects),
    "arn:aws:states:::aws-sdk:sagemaker:describeTrainingJob": (request) =>
      cloud.describeSageMakerJob(request as never, "TrainingJobName"),
    "arn:aws:states:::aws-sdk:sagemaker:describeLabelingJob": (request) =>
      cloud.describeSageMakerJob(request as never, "LabelingJobName"),
  });

  const taskInputs: Record<string, unknown[]> = {};
  const queues = (errors: Record<string, string[]> = {}) =>
    Object.fromEntries(Object.entries(errors).map(([state, names]) => [state, [...names]]));
  const [failFirst, failAfter] = [queues(scenario.failFirst), queues(scenario.failAfter)];
  const fail = (name: string) => Object.assign(new Error(`injected ${name}`), { name });
  const recorded = Object.fromEntries(
    Object.entries(handlers).map(([state, handler]): [string, TaskHandler] => [
      state,
      async (input) => {
        (taskInputs[state] ??= []).push(input);
        const injected = failFirst[state]?.shift();
        if (injected) throw fail(injected);
        const result = await handler(input);
        const lost = failAfter[state]?.shift();
        if (lost) throw fail(lost);
        return result;
      },
    ]),
  );
  const waits = Object.fromEntries(
    Object.entries(definition.States)
      .filter(([, s]) => s.Type === "Wait")
      .map(([name]) => [name, 0]),
  );
  const retries = Object.fromEntries(Object.keys(definition.States).map((name) => [name, 0]));

  const executionName = scenario.executionName ?? "manual-run-1";
  const run = await runLocally(definition, {
    input: scenario.input ?? {},
    execution: {
      region: "eu-west-1",
      account: ACCOUNT,
      stateMachineName: "qi-dev-pipeline",
      name: executionName,
      startTime: new Date("2026-12-01T06:00:00.000Z"),
    },
    handlers: recorded,
    waitMs: waits,
    retryMs: retries,
    taskToken,
  });
  world.tokens.close();
  recordRun(definition, run.events);
  const entered = run.events.filter((e) => e.type === "StateEntered").map((e) => e.state!.name);
  return {
    world,
    output: run.output,
    error: run.error,
    path: entered,
    transitions: entered.length,
    retried: run.events.filter((e) => e.type === "StateRetried").map((e) => e.state!.name),
    taskInputs,
    notifications: cloud.notifications,
    listedRunsOf,
    portCalls,
    labelBatchError,
  };
}
