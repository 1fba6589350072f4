import { z } from "zod";
import { pipelineInputSchema, PipelineInput } from "../../contracts/pipelineInput";
import { InvalidPipelineInputError, PipelineBusyError } from "../../lib/errors";
import { parseEvent } from "../shared/events";
import type { Log, RunningExecutions } from "../../lib/ports";
import { busyMessage, startedBefore } from "../../lib/busyPipeline";
import { RunNames, runNames } from "../../lib/runNames";

export const startRunEventSchema = z.object({
  /** The execution's input, as the user or a trigger gave it. */
  input: z.unknown(),
  execution: z.object({ name: z.string().min(1), startTime: z.iso.datetime({ offset: true }) }),
  stateMachineArn: z.string().startsWith("arn:"),
  settings: z.object({
    namePrefix: z.string().min(1),
    modelPackageGroupName: z.string().min(1),
    compilationTarget: z.string().min(1),
  }),
});
export type StartRunEvent = z.input<typeof startRunEventSchema>;

/** What every later state reads about the run (`$.run`). */
export interface RunInfo {
  mode: PipelineInput["mode"];
  trigger: PipelineInput["trigger"];
  executionName: string;
  startTime: string;
  imagesPrefix: string | null;
  skipLabeling: boolean;
  compilationTarget: string;
  names: RunNames;
  /**
   * A triggered run that found another run going: it queues itself (QueueRun) instead of failing, unless a deploy
   * run finds there is nothing to deploy. The earliest running execution, by name.
   */
  busyWith: string | null;
}

/** The state the state machine continues with: the run, and the model package to deploy (deploy mode). */
export interface StartRunResult {
  run: RunInfo;
  model: { packageArn?: string };
}

/**
 * Validates the run's input against the pipeline input contract, makes sure no earlier run is still going (two runs
 * would send the same images to labeling and race each other's deployments), and names everything the run will
 * create.
 */
export async function startRun(
  event: unknown,
  deps: { log: Log; executions: RunningExecutions },
): Promise<StartRunResult> {
  const { input: rawInput, execution, stateMachineArn, settings } = parseEvent(startRunEventSchema, event);
  const input = parseEvent(pipelineInputSchema, rawInput, InvalidPipelineInputError);
  const earlier = (await deps.executions.list(stateMachineArn)).filter(
    (other) => other.name !== execution.name && startedBefore(other, execution),
  );
  // A person is told at once (the CLI checks first); a trigger has nobody to tell, so its run waits in the queue.
  if (earlier.length > 0 && input.trigger === "manual")
    throw new PipelineBusyError(`${busyMessage(earlier)}. This run stopped before doing anything`);
  const [busyWith] = [...earlier].sort((a, b) => (startedBefore(a, b) ? -1 : 1));
  if (busyWith) deps.log.info("the pipeline is busy; this triggered run will queue itself", { busyWith });
  const run: RunInfo = {
    mode: input.mode,
    trigger: input.trigger,
    executionName: execution.name,
    startTime: execution.startTime,
    imagesPrefix: input.mode === "train" ? input.imagesPrefix : null,
    skipLabeling: input.mode === "train" ? input.skipLabeling : false,
    compilationTarget: settings.compilationTarget,
    names: runNames(settings.namePrefix, execution.name, execution.startTime),
    busyWith: busyWith?.name ?? null,
  };
  if (input.mode === "deploy") {
    const group = input.modelPackageArn.split("/").at(-2);
    if (group !== settings.modelPackageGroupName) {
      throw new InvalidPipelineInputError(
        `modelPackageArn: must be a package of the model package group ${settings.modelPackageGroupName} (got group ${group})`,
      );
    }
    deps.log.info("deploy run", { modelPackageArn: input.modelPackageArn, trigger: input.trigger });
    return { run, model: { packageArn: input.modelPackageArn } };
  }
  deps.log.info("training run", {
    imagesPrefix: run.imagesPrefix,
    skipLabeling: run.skipLabeling,
    trigger: run.trigger,
  });
  return { run, model: {} };
}
