import { expect } from "chai";
import { isGpuInstance, pytorchTrainingImage } from "../../lib/deepLearningContainers";

describe("the PyTorch training image", () => {
  it("is the CUDA build for GPU families and the CPU build otherwise", () => {
    expect(["ml.g4dn.xlarge", "ml.g5.2xlarge", "ml.p3.2xlarge"].every(isGpuInstance)).to.equal(true);
    expect(["ml.m5.xlarge", "ml.c5.4xlarge", "ml.t3.medium"].some(isGpuInstance)).to.equal(false);
  });

  it("comes from the region's Deep Learning Containers account and domain", () => {
    expect(pytorchTrainingImage("eu-west-1", "ml.g4dn.xlarge")).to.equal(
      "763104351884.dkr.ecr.eu-west-1.amazonaws.com/pytorch-training:2.5.1-gpu-py311",
    );
    expect(pytorchTrainingImage("af-south-1", "ml.m5.xlarge")).to.equal(
      "626614931356.dkr.ecr.af-south-1.amazonaws.com/pytorch-training:2.5.1-cpu-py311",
    );
    expect(pytorchTrainingImage("cn-north-1", "ml.m5.xlarge")).to.match(/\.dkr\.ecr\.cn-north-1\.amazonaws\.com\.cn\//);
  });
});
