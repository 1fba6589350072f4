import { expect } from "chai";
import { STATES } from "../../stateMachines/qualityInspection";
import { runPipeline } from "../harness/pipelineHarness";

// Stack settings that reach the run through the definition.

describe("running the state machine: stack settings", () => {
  it("BuildDataset splits by the configured fractions (dataset.fractions), not a fixed 80/10/10", async () => {
    const fractions = { train: 0.4, validation: 0.2, test: 0.4 };
    const run = await runPipeline({
      labeledImages: 200,
      newImages: 0,
      args: (a) => {
        a.compilation.target = "onnx";
        a.dataset.fractions = fractions;
      },
    });
    expect(run.taskInputs[STATES.buildDataset][0]).to.deep.include({ fractions });
    const { counts } = run.output!.dataset as { counts: Record<string, number> };
    expect(counts.train + counts.validation + counts.test).to.equal(200);
    // A hash split: each split within a few images of its share of 200.
    expect(counts.test).to.be.within(60, 100);
    expect(counts.train).to.be.within(60, 100);
    expect(run.output!.outcome).to.equal("deployed");
  });
});
