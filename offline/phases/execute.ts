import { renderStageChanges } from "../../cli/render";
import type { StateMachineDefinition } from "../../stateMachines/asl";
import { pipelineDefinitionArgs } from "../../stateMachines/definitionArgs";
import {
  buildProgress,
  fromLocalEventLog,
  LocalEventLogEntry,
  StageProgress,
  stageProgress,
} from "../../stateMachines/progress";
import { buildPipelineDefinition } from "../../stateMachines/qualityInspection";
import { PIPELINE_STAGES } from "../../stateMachines/stages";
import { LocalLabelingWorkforce } from "../labelingWorkforce";
import { LocalExecutionResult, runLocally, TaskHandler } from "../localExecution";
import { LOCAL_ACCOUNT } from "../localStack";
import { clock } from "../report";
import type { OfflineResult } from "../run";
import type { Executed, RunContext, SeededRun, ServedRun } from "./context";
import { localHandlers, recording } from "./handlers";

/** Seconds between the deployment's checks locally: the local device answers in seconds, not minutes. */
export const LOCAL_POLL_SECONDS = 2;

/** The definition `pulumi up` deploys, built from the same stack config and the local resources' ARNs. */
function pipelineDefinition(run: Pick<SeededRun, "config" | "names" | "stack">): StateMachineDefinition {
  const { config, names, stack } = run;
  return buildPipelineDefinition(
    pipelineDefinitionArgs(
      {
        namePrefix: config.namePrefix,
        region: config.region,
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
}

/** One execution of the pipeline's state machine, every Task served locally, each stage printed as it goes. */
export async function runStateMachine(run: ServedRun): Promise<Executed> {
  const { config, print, stack, truth, services } = run;
  const { training, greengrass } = services;
  const definition = pipelineDefinition(run);
  const notifications: OfflineResult["notifications"] = [];
  const workforce = new LocalLabelingWorkforce(stack.objects, truth, config.region, LOCAL_ACCOUNT);
  const results = new Map<string, unknown>();
  const handlers = recording(
    localHandlers(definition, { stack, workforce, training, greengrass, notifications, print }),
    results,
  );
  print(
    `deployment checks every ${LOCAL_POLL_SECONDS} s, at most ${config.deploy.maxPolls} ` +
      `(deploy.pollIntervalSeconds ${config.deploy.pollIntervalSeconds} s is for fleets; the local device answers in seconds)`,
  );
  const execution = await execute(definition, handlers, run);
  training.stopAll();
  return { execution, results, notifications };
}

/** Runs one execution of the definition, printing each stage as it starts and ends. */
async function execute(
  definition: StateMachineDefinition,
  handlers: Record<string, TaskHandler>,
  run: Pick<RunContext, "config" | "started" | "print">,
): Promise<LocalExecutionResult> {
  const { print, config, started } = run;
  const events: LocalEventLogEntry[] = [];
  let shown: StageProgress[] = [];
  const stamp = new Date(started)
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
      region: config.region,
      account: LOCAL_ACCOUNT,
      stateMachineName: `${config.namePrefix}-pipeline`,
      name: `offline-${stamp}`,
      startTime: new Date(started),
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
