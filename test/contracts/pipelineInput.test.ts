import { expect } from "chai";
import { pipelineInputSchema, pipelineOutputSchema } from "../../contracts/pipelineInput";

const packageArn = "arn:aws:sagemaker:eu-west-1:123456789012:model-package/qi-dev-scratch-detector/7";

function problems(input: unknown): string[] {
  const parsed = pipelineInputSchema.safeParse(input);
  expect(parsed.success, JSON.stringify(input)).to.equal(false);
  return parsed.error!.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
}

describe("the pipeline input contract", () => {
  it("reads {} as a manual training run over every image", () => {
    expect(pipelineInputSchema.parse({})).to.deep.equal({
      mode: "train",
      trigger: "manual",
      imagesPrefix: "images/",
      skipLabeling: false,
    });
  });

  it("accepts a training run over one folder without labeling", () => {
    const input = pipelineInputSchema.parse({
      imagesPrefix: "images/line-2/",
      skipLabeling: true,
      trigger: "schedule",
    });
    expect(input).to.include({
      mode: "train",
      imagesPrefix: "images/line-2/",
      skipLabeling: true,
      trigger: "schedule",
    });
  });

  it("accepts a deploy run of one model package", () => {
    expect(
      pipelineInputSchema.parse({ mode: "deploy", modelPackageArn: packageArn, trigger: "model-approved" }),
    ).to.deep.equal({ mode: "deploy", modelPackageArn: packageArn, trigger: "model-approved" });
  });

  it("names the bad field and the expected form", () => {
    expect(problems({ imagesPrefix: "datasets/" })[0]).to.match(/^imagesPrefix: must be a folder under images\//);
    expect(problems({ imagesPrefix: "images/../code/" })[0]).to.match(/^imagesPrefix:/);
    expect(problems({ mode: "deploy" })[0]).to.match(/^modelPackageArn:/);
    expect(problems({ mode: "deploy", modelPackageArn: "qi-dev-scratch-detector/7" })[0]).to.match(
      /^modelPackageArn: must be the ARN of a versioned model package/,
    );
    expect(problems({ mode: "retrain" })[0]).to.match(/^mode:/);
    expect(problems({ trigger: "cron" })[0]).to.match(/^trigger:/);
  });

  it("rejects fields it does not know, and fields of the other mode", () => {
    expect(problems({ skipLabelling: true }).join()).to.contain("skipLabelling");
    expect(problems({ mode: "deploy", modelPackageArn: packageArn, skipLabeling: true }).join()).to.contain(
      "skipLabeling",
    );
  });

  it("describes the outcome every successful run reports", () => {
    const output = { outcome: "deployed", run: { mode: "train", trigger: "manual", executionName: "x" }, dataset: {} };
    expect(pipelineOutputSchema.parse(output)).to.deep.equal(output);
    expect(pipelineOutputSchema.safeParse({ ...output, outcome: "done" }).success).to.equal(false);
  });
});
