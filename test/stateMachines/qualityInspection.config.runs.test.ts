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

  it("BuildDataset hands a lake above dataset.athenaAboveImages to the query engine, with the same dataset", async () => {
    const runWith = (athenaAboveImages: number | null) =>
      runPipeline({
        labeledImages: 120,
        newImages: 10,
        args: (a) => {
          a.compilation.target = "onnx";
          a.dataset.athenaAboveImages = athenaAboveImages;
        },
      });
    const [inLambda, viaEngine] = [await runWith(null), await runWith(50)];
    expect(inLambda.taskInputs[STATES.buildDataset][0]).to.not.have.property("athenaAboveImages");
    expect(viaEngine.taskInputs[STATES.buildDataset][0]).to.deep.include({
      athenaAboveImages: 50,
      labelingJobName: (viaEngine.output!.run as { names: { labelingJob: string } }).names.labelingJob,
    });
    const dataset = (run: typeof inLambda) => run.output!.dataset as { counts: object; labelsHash: string };
    // The run's 10 new images were labeled minutes ago: the engine gets them from the label store.
    expect(dataset(viaEngine).counts).to.deep.equal(dataset(inLambda).counts);
    expect(dataset(viaEngine).labelsHash).to.equal(dataset(inLambda).labelsHash);
    // What each asked the label store: every image in the lake, or only the run's own 10.
    const idsRead = (run: typeof inLambda) =>
      run.portCalls
        .filter((c) => c.fn === "buildDataset" && c.port === "labels" && c.method === "get")
        .reduce((sum, c) => sum + (c.args[0] as string[]).length, 0);
    expect(idsRead(inLambda)).to.equal(130);
    expect(idsRead(viaEngine)).to.equal(10);
    expect(viaEngine.output!.outcome).to.equal("deployed");
  });
});
