import type { State, StateMachineDefinition } from "./asl";
import type { PipelineDefinitionArgs } from "./definitionArgs";
import { PIPELINE_STAGE_MODULES } from "./stages";
import { STATES } from "./states";

// Where other parts have always imported them from: the definition's inputs, state names and shared policies.
export type { PipelineDefinitionArgs } from "./definitionArgs";
export { TRANSIENT_LAMBDA_ERRORS } from "./retries";
export { failedStateOf, STATES } from "./states";
export { TRAINING_METRICS } from "./stages/training";

/**
 * Builds the state machine definition: a pure function of its inputs, turned into JSON by the component. Each stage
 * module (stateMachines/stages/) contributes its states, in the order a run meets the stages.
 */
export function buildPipelineDefinition(args: PipelineDefinitionArgs): StateMachineDefinition {
  const states: Record<string, State> = {};
  for (const module of PIPELINE_STAGE_MODULES) {
    for (const [name, state] of Object.entries(module.states(args))) {
      if (name in states) throw new Error(`${name} is built by two stages; "${module.stage.name}" is the second`);
      states[name] = state;
    }
  }
  return {
    Comment: `${args.namePrefix}: label new images, train, gate, compile and deploy the scratch detector`,
    StartAt: STATES.startRun,
    States: states,
  };
}
