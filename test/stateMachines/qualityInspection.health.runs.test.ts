import { expect } from "chai";
import { failedStateOf, STATES } from "../../stateMachines/qualityInspection";
import { runPipeline } from "../harness/pipelineHarness";

// A deployment is healthy when its IoT job succeeded AND every device it reached has since published a valid result
// with the new model (the IoT rule stores each device's latest result under device-results/).

const onnx = (a: { compilation: { target: string } }) => void (a.compilation.target = "onnx");

describe("running the state machine: the fleet must be seen running the new model", () => {
  it("a deployment whose devices publish valid results with the new model is deployed, naming them", async () => {
    const run = await runPipeline({ args: onnx });
    expect(run.output!.outcome).to.equal("deployed");
    const at = run.path.indexOf(STATES.checkFleetResults);
    expect(run.path.slice(at - 1, at + 3)).to.deep.equal([
      STATES.deploymentDone,
      STATES.checkFleetResults,
      STATES.recordChampion,
      STATES.deployed,
    ]);
    expect((run.output!.deployment as { results: unknown }).results).to.deep.equal({
      healthy: ["qi-dev-line-1", "qi-dev-line-2"],
      others: {},
    });
  });

  const unhealthy = [
    [
      "publish nothing",
      "none",
      /^0 of the 2 devices the deployment reached published a valid result with model qi-dev-train-manual-run-1-[0-9a-f]{8} since /,
    ],
    [
      "still publish results of the old model",
      "old-model",
      /qi-dev-line-1: its latest result is from model qi-dev-train-older-00000000/,
    ],
    ["publish results that break the contract", "invalid", /qi-dev-line-2: invalid result: /],
  ] as const;
  for (const [what, deviceResults, cause] of unhealthy) {
    it(`a deployment whose IoT job succeeded but whose devices ${what} fails after waiting, and the alert says why`, async () => {
      const run = await runPipeline({ args: onnx, cloud: { deviceResults } });
      expect(run.retried.filter((s) => s === STATES.checkFleetResults)).to.have.length(10);
      expect(run.path.slice(-3)).to.deep.equal([
        failedStateOf(STATES.checkFleetResults),
        STATES.notifyFailure,
        STATES.pipelineFailed,
      ]);
      const message = JSON.parse(run.notifications[0].Message) as { error: string; cause: string };
      expect(message.error).to.equal("FleetResultsMissingError");
      expect(JSON.parse(message.cause).errorMessage).to.match(cause);
      expect(run.path, "not the champion").to.not.include(STATES.recordChampion);
    });
  }
});
