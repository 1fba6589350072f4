import type { BuildDatasetResult } from "../lambdas/buildDataset/handler";
import type { CompileOnnxResult } from "../lambdas/compileOnnx/handler";
import type { EvaluateModelResult } from "../lambdas/evaluateModel/handler";
import type { DataLakeSeed } from "./dataSources";
import type { DeploymentStatus } from "./localGreengrass";
import type { TrainingMode } from "./localTraining";
import { runStateMachine } from "./phases/execute";
import { prepare } from "./phases/prepare";
import { seed } from "./phases/seed";
import { startServices } from "./phases/services";
import { summarise } from "./phases/summarise";
import { watchEdge } from "./phases/watch";
import type { Print } from "./report";
import type { ConfigChange } from "./settings";

export { DEFAULT_IMAGES } from "./phases/seed";

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
  /** A real camera for the local device (`--camera`); without it the device replays its camera folder. */
  camera?: LocalCamera;
  /** `--label-by-hand`: the run pauses at labeling until a person labels the batch in the labeling app. */
  labelByHand?: boolean;
  /** Port of the labeling app with `labelByHand` (0: any free port). */
  labelerPort?: number;
}

/** `--camera`: the edge source and its address (edge/src/sources/config.ts), and a credentials file. */
export interface LocalCamera {
  source: "stream" | "http-snapshot";
  camera: string;
  credentials?: string;
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
  /** Images per split, and who split them (`query`: DuckDB, as Athena in AWS, above `dataset.athenaAboveImages`). */
  dataset: (BuildDatasetResult["counts"] & Pick<BuildDatasetResult, "splitBy">) | null;
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
  /** Messages this run stored under the data lake's results/ (results and errors). */
  stored: { results: number; errors: number };
  notifications: { Subject: string; Message: string }[];
  changes: ConfigChange[];
  workDir: string;
  wallSeconds: number;
}

/**
 * `npm start`: the pipeline's state machine — the definition `pulumi up` deploys, built from the same stack file —
 * run on this machine with aws-local-stepfunctions. Every Task is served by a local implementation of its contract:
 * a folder as the data lake, a JSON-lines label store, the real Lambda handlers on those, a labeling workforce that
 * answers from ground truth, train.py as the training job, a JSON model registry, and a Greengrass device that runs the
 * real detector against an embedded MQTT broker. Each phase is a module of offline/phases/.
 */
export async function runOffline(options: OfflineOptions, environment: OfflineEnvironment): Promise<OfflineResult> {
  const run = await seed(await prepare(options, environment));
  const services = await startServices(run);
  try {
    const served = { ...run, services };
    const executed = await runStateMachine(served);
    const watch = await watchEdge(served, executed.execution);
    return await summarise(served, executed, watch);
  } finally {
    await services.close();
  }
}
