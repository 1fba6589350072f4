import { expect } from "chai";
import { buildPipelineDefinition, STATES } from "../../stateMachines/qualityInspection";
import { PIPELINE_STAGES } from "../../stateMachines/stages";
import { testDefinitionArgs } from "../harness/pipelineHarness";

describe("pipeline stages", () => {
  it("put every state of every definition variant in exactly one stage", () => {
    const stageOf = new Map<string, string[]>();
    for (const stage of PIPELINE_STAGES) {
      for (const state of stage.states) stageOf.set(state, [...(stageOf.get(state) ?? []), stage.name]);
    }
    for (const target of ["jetson_nano", "onnx"]) {
      const args = testDefinitionArgs();
      args.compilation.target = target;
      args.labeling.verification = true;
      for (const state of Object.keys(buildPipelineDefinition(args).States)) {
        expect(stageOf.get(state), state).to.have.length(1);
      }
    }
    for (const [state, stages] of stageOf) expect(stages, state).to.have.length(1);
  });

  it("only name states the definition has", () => {
    const known = new Set<string>(Object.values(STATES));
    for (const stage of PIPELINE_STAGES) {
      for (const state of stage.states) expect(known.has(state) || state.endsWith("Failed"), state).to.equal(true);
    }
  });
});
