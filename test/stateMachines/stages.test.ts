import { expect } from "chai";
import { defineStage } from "../../stateMachines/builder";
import type { PipelineDefinitionArgs } from "../../stateMachines/definitionArgs";
import { buildPipelineDefinition, failedStateOf, STATES } from "../../stateMachines/qualityInspection";
import { PIPELINE_STAGE_MODULES, PIPELINE_STAGES } from "../../stateMachines/stages";
import { testDefinitionArgs } from "../harness/pipelineHarness";

const variants: [string, (args: PipelineDefinitionArgs) => void][] = [
  ["a dev stack", () => undefined],
  ["onnxruntime compilation", (a) => void (a.compilation.target = "onnx")],
  ["label verification", (a) => void (a.labeling.verification = true)],
  ["the public workforce", (a) => void (a.labeling.workforce = { kind: "public" })],
];

function argsWith(change: (args: PipelineDefinitionArgs) => void): PipelineDefinitionArgs {
  const args = testDefinitionArgs();
  change(args);
  return args;
}

/** Every optional state on: the variant in which a stage builds everything it declares. */
const everything = () => argsWith((a) => void (a.labeling.verification = true));

describe("the stage modules", () => {
  it("are where watch and the offline run get their stages from", () => {
    expect(PIPELINE_STAGES.map((s) => s.name)).to.deep.equal(PIPELINE_STAGE_MODULES.map((m) => m.stage.name));
    PIPELINE_STAGES.forEach((stage, i) => expect(stage).to.equal(PIPELINE_STAGE_MODULES[i].stage));
  });

  it("each build exactly the states they declare when every option is on", () => {
    for (const { stage, states } of PIPELINE_STAGE_MODULES) {
      expect(Object.keys(states(everything())), stage.name).to.have.members([...stage.states]);
    }
  });

  for (const [what, change] of variants) {
    it(`build the definition, stage after stage, for ${what}`, () => {
      const args = argsWith(change);
      const built = PIPELINE_STAGE_MODULES.flatMap((m) => Object.keys(m.states(args)));
      expect(Object.keys(buildPipelineDefinition(args).States)).to.deep.equal(built);
      for (const { stage, states } of PIPELINE_STAGE_MODULES) {
        for (const name of Object.keys(states(args))) expect(stage.states, stage.name).to.include(name);
      }
    });
  }

  it("cover every state of the definition exactly once", () => {
    const definition = buildPipelineDefinition(everything());
    const declared = PIPELINE_STAGES.flatMap((s) => s.states);
    expect(declared).to.have.members(Object.keys(definition.States));
    expect(new Set(declared).size).to.equal(declared.length);
  });

  it("declare as failure states exactly the states that record a failure and notify", () => {
    const definition = buildPipelineDefinition(everything());
    for (const stage of PIPELINE_STAGES) {
      for (const name of stage.states) {
        const state = definition.States[name];
        const recordsFailure = state.Type === "Pass" && state.ResultPath === "$.failure";
        expect(stage.failureStates ?? [], name).to.satisfy((f: string[]) => f.includes(name) === recordsFailure);
        if (recordsFailure) expect(state, name).to.include({ Next: STATES.notifyFailure });
      }
    }
  });

  it("give every Task declared as one its failure state", () => {
    const definition = buildPipelineDefinition(everything());
    for (const stage of PIPELINE_STAGES) {
      for (const name of stage.states.filter((s) => definition.States[s].Type === "Task")) {
        if (name === STATES.notifyFailure) continue;
        expect(stage.failureStates, name).to.include(failedStateOf(name));
      }
    }
  });
});

describe("a stage module", () => {
  const build = (declaration: Parameters<typeof defineStage>[0], body: Parameters<typeof defineStage>[1]) => () =>
    defineStage(declaration, body).states(testDefinitionArgs());
  const wait = { Type: "Wait", Seconds: 1, Next: STATES.pipelineFailed } as const;

  it("cannot build a state it does not declare", () => {
    const stray = build({ name: "Stray", tasks: [], others: ["A"] }, (s) => {
      s.state("A", wait);
      s.state("B", wait);
    });
    expect(stray).to.throw('stage "Stray" builds B, which it does not declare');
  });

  it("cannot build a Task it declares as another kind of state", () => {
    const undeclared = build({ name: "Odd", tasks: [], others: ["T", failedStateOf("T")] }, (s) =>
      s.task("T", { Resource: "arn:aws:states:::sns:publish", TimeoutSeconds: 60, Next: STATES.pipelineFailed }),
    );
    expect(undeclared).to.throw('stage "Odd" builds Task T, which it does not declare');
  });

  it("cannot build a state twice", () => {
    const twice = build({ name: "Twice", tasks: [], others: ["A"] }, (s) => {
      s.state("A", wait);
      s.state("A", wait);
    });
    expect(twice).to.throw('stage "Twice" builds A twice');
  });

  it("declares a Task's failure state with it and builds both", () => {
    const module = defineStage({ name: "One", tasks: ["T"] }, (s) =>
      s.task("T", { Resource: "arn:aws:states:::sns:publish", TimeoutSeconds: 60, Next: STATES.pipelineFailed }),
    );
    expect(module.stage).to.deep.equal({ name: "One", states: ["T", "TFailed"], failureStates: ["TFailed"] });
    const states = module.states(testDefinitionArgs());
    expect(states.T).to.deep.include({
      Catch: [{ ErrorEquals: ["States.ALL"], ResultPath: "$.caught", Next: "TFailed" }],
    });
    expect(states.TFailed).to.deep.include({ Type: "Pass", ResultPath: "$.failure", Next: STATES.notifyFailure });
  });
});
