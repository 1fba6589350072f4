import type { StackConfig } from "../../config/schema";
import type { componentNames } from "../../contracts/modelComponent";
import type { Viewer } from "../../viewer";
import type { EmbeddedBroker } from "../broker";
import type { DataLakeSeed } from "../dataSources";
import type { EdgeResults } from "../edgeResults";
import type { GroundTruth } from "../labelingWorkforce";
import type { LocalExecutionResult } from "../localExecution";
import type { LocalDeployment, LocalGreengrass } from "../localGreengrass";
import type { LocalStack } from "../localStack";
import type { LocalTraining, TrainingMode } from "../localTraining";
import type { Print } from "../report";
import type { OfflineEnvironment, OfflineOptions, OfflineResult } from "../run";
import type { ConfigChange } from "../settings";

/**
 * What `npm start` knows once it has read its stack config; every phase (offline/phases/) starts from it. Each phase
 * hands the next what it made, so a later phase can only use what an earlier one produced.
 */
export interface RunContext {
  options: OfflineOptions;
  environment: OfflineEnvironment;
  print: Print;
  /** `Date.now()` when the run began: the execution's name and the wall time count from it. */
  started: number;
  workDir: string;
  config: StackConfig;
  changes: ConfigChange[];
  names: ReturnType<typeof componentNames>;
}

/** The local cloud (data lake, label store, registries) with the run's images in place. */
export interface SeededRun extends RunContext {
  stack: LocalStack;
  /** The answers the local labeling workforce gives. */
  truth: GroundTruth;
  /** The edge device's camera folder. */
  cameraDir: string;
  data: DataLakeSeed;
}

/** The processes a run starts beside the state machine; `close` stops each of them. */
export interface LocalServices {
  trainingMode: TrainingMode;
  training: LocalTraining;
  broker: EmbeddedBroker;
  edgeResults: EdgeResults;
  thingName: string;
  greengrass: LocalGreengrass;
  viewer: Viewer | undefined;
  close(): Promise<void>;
}

export interface ServedRun extends SeededRun {
  services: LocalServices;
}

/** What one execution of the state machine left: its events and output, each Task's last result, its alerts. */
export interface Executed {
  execution: LocalExecutionResult;
  /** Task state name → its last result. */
  results: Map<string, unknown>;
  notifications: OfflineResult["notifications"];
}

/** How the execution ended for the device, and what the detector sent while it was watched. */
export interface EdgeWatch {
  outcome: string | null;
  /** The run deployed a model and the local device runs it. */
  deployed: boolean;
  deployment: LocalDeployment | undefined;
  /** Results received while watched, and for how long; absent when nothing was deployed. */
  watched?: { results: number; seconds: number };
}
