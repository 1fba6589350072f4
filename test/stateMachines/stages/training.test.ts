import { expect } from "chai";
import { buildPipelineDefinition, STATES } from "../../../stateMachines/qualityInspection";
import { testDefinitionArgs } from "../../harness/pipelineHarness";

/** TrainModel's request as the definition builds it for one instance count. */
function trainModel(instanceCount: number) {
  const args = testDefinitionArgs();
  args.training.instanceCount = instanceCount;
  const state = buildPipelineDefinition(args).States[STATES.trainModel] as unknown as {
    Parameters: { ResourceConfig: { InstanceCount: number }; HyperParameters: Record<string, string> };
  };
  return state.Parameters;
}

describe("the training stage's TrainModel and training.instanceCount", () => {
  it("asks for one instance and a plain train.py by default", () => {
    const { ResourceConfig, HyperParameters } = trainModel(1);
    expect(ResourceConfig.InstanceCount).to.equal(1);
    expect(HyperParameters).to.not.have.property("sagemaker_torch_distributed_enabled");
  });

  it("asks for several instances and has the container start train.py data-parallel on each", () => {
    const { ResourceConfig, HyperParameters } = trainModel(4);
    expect(ResourceConfig.InstanceCount).to.equal(4);
    expect(HyperParameters).to.include({ sagemaker_torch_distributed_enabled: "true", sagemaker_program: "train.py" });
  });
});
