import { componentArtifactKey, componentNames, INFERENCE_RECIPE_FILE } from "../../contracts/modelComponent";
import { inferenceComponentRecipe } from "../../edge/recipe";
import { lambdaResources, pipelineLambdas } from "../../offline/lambdas";
import { handlersByState, runLocally, TaskHandler } from "../../offline/localExecution";
import type { RunningExecution } from "../../lib/ports";
import { buildPipelineDefinition, PipelineDefinitionArgs } from "../../stateMachines/qualityInspection";
import { ACCOUNT, CloudScenario, FakeCloud, sampleImage } from "../fakes/fakeCloud";
import { labelFor } from "./labels";
import {
  MemoryComponentRegistry,
  MemoryLabelStore,
  MemoryObjectStore,
  noSleep,
  recordingLog,
} from "../fakes/memoryPorts";

const INFERENCE_VERSION = "1.0.4242";

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
    },
    dataset: { minImages: 20, minBoxes: 20 },
    training: {
      image: "763104351884.dkr.ecr.eu-west-1.amazonaws.com/pytorch-training:2.5.1-cpu-py311",
      instanceType: "ml.m5.xlarge",
      maxRuntimeSeconds: 3600,
      epochs: 20,
      batchSize: 8,
      imageSize: 320,
      seed: 0,
      scoreThreshold: 0.3,
      sourceUri: "s3://qi-test-lake/code/training-0123456789abcdef.tar.gz",
    },
    evaluation: { minMap50_95: 0.3 },
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
  /** Other executions of the state machine that are running while this one starts. */
  running?: RunningExecution[];
  /** Prepares the world before the run (e.g. seeds model packages for a deploy run). */
  before?: (world: World) => Promise<void> | void;
}

export interface World {
  objects: MemoryObjectStore;
  labels: MemoryLabelStore;
  components: MemoryComponentRegistry;
  cloud: FakeCloud;
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

/** Runs the real definition locally: Lambda states run the real handlers on in-memory ports, waits take no time. */
export async function runPipeline(scenario: Scenario = {}): Promise<PipelineRun> {
  const args = testDefinitionArgs();
  scenario.args?.(args);
  const definition = buildPipelineDefinition(args);
  const objects = new MemoryObjectStore(args.bucketName);
  const world: World = {
    objects,
    labels: new MemoryLabelStore(),
    components: new MemoryComponentRegistry(),
    cloud: new FakeCloud(objects, { ...happyCloud(), ...scenario.cloud }),
  };
  await seed(world, args, scenario.labeledImages ?? 30, scenario.newImages ?? 10);
  await scenario.before?.(world);

  const log = recordingLog();
  const { labels, components, cloud } = world;
  const listedRunsOf: string[] = [];
  const executions = {
    list: async (stateMachineArn: string) => {
      listedRunsOf.push(stateMachineArn);
      return scenario.running ?? [];
    },
  };
  // The real Lambda handlers on in-memory ports, the fake cloud behind every service integration.
  const handlers = handlersByState(definition, {
    ...lambdaResources(
      args.functions,
      pipelineLambdas({ objects, labels, components, log, sleep: noSleep, executions }),
    ),
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
  });

  const taskInputs: Record<string, unknown[]> = {};
  const failFirst = Object.fromEntries(
    Object.entries(scenario.failFirst ?? {}).map(([state, errors]) => [state, [...errors]]),
  );
  const recorded = Object.fromEntries(
    Object.entries(handlers).map(([state, handler]): [string, TaskHandler] => [
      state,
      (input) => {
        (taskInputs[state] ??= []).push(input);
        const injected = failFirst[state]?.shift();
        if (injected) throw Object.assign(new Error(`injected ${injected}`), { name: injected });
        return handler(input);
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
  });
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
  };
}
