import { expect } from "chai";
import { SFNClient, StartExecutionCommand } from "@aws-sdk/client-sfn";
import { pipelineInputSchema } from "../../contracts/pipelineInput";
import { stepFunctionsStarter } from "../../lib/aws/stepFunctionsStarter";
import { startPipeline } from "../../lambdas/startPipeline/handler";
import { recordingLog } from "../fakes/memoryPorts";
import { mockClient } from "aws-sdk-client-mock";
import { mockedClient } from "../fakes/sdkMock";
import { failureOf } from "../harness/failure";

const STATE_MACHINE = "arn:aws:states:eu-west-1:123456789012:stateMachine:qi-dev-pipeline";
const scheduled = {
  version: "0",
  id: "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
  "detail-type": "Scheduled Event",
  source: "aws.events",
  account: "123456789012",
  time: "2026-12-01T06:00:00Z",
  region: "eu-west-1",
  resources: ["arn:aws:events:eu-west-1:123456789012:rule/qi-dev-schedule"],
  detail: {},
};
const approved = {
  version: "0",
  id: "c800a495-b000-072c-7392-c683e89c96a8",
  "detail-type": "SageMaker Model Package State Change",
  source: "aws.sagemaker",
  account: "123456789012",
  time: "2026-12-03T04:45:23Z",
  region: "eu-west-1",
  resources: ["arn:aws:sagemaker:eu-west-1:123456789012:model-package/qi-dev-scratch-detector/12"],
  detail: {
    ModelPackageGroupName: "qi-dev-scratch-detector",
    ModelPackageVersion: 12,
    ModelPackageArn: "arn:aws:sagemaker:eu-west-1:123456789012:model-package/qi-dev-scratch-detector/12",
    ModelPackageStatus: "Completed",
    ModelApprovalStatus: "Approved",
  },
};

describe("StartPipeline (the trigger starter)", () => {
  const sfn = mockedClient(() => mockClient(SFNClient));
  const deps = () => ({ pipeline: stepFunctionsStarter(new SFNClient({}), STATE_MACHINE), log: recordingLog() });

  it("starts a training run named after the schedule time", async () => {
    sfn().on(StartExecutionCommand).resolves({ executionArn: "arn:x", startDate: new Date() });
    const result = await startPipeline(scheduled, deps());
    expect(result).to.deep.equal({ executionName: "scheduled-20261201T060000Z", status: "started" });
    const input = sfn().commandCalls(StartExecutionCommand)[0].args[0].input;
    expect(input).to.include({ stateMachineArn: STATE_MACHINE, name: "scheduled-20261201T060000Z" });
    expect(pipelineInputSchema.parse(JSON.parse(input.input!))).to.deep.include({ mode: "train", trigger: "schedule" });
  });

  it("starts a deploy run named after the approved model package version", async () => {
    sfn().on(StartExecutionCommand).resolves({ executionArn: "arn:x", startDate: new Date() });
    const result = await startPipeline(approved, deps());
    expect(result.executionName).to.equal("approved-v12");
    const input = JSON.parse(sfn().commandCalls(StartExecutionCommand)[0].args[0].input.input!);
    expect(input).to.deep.equal({
      mode: "deploy",
      trigger: "model-approved",
      modelPackageArn: approved.detail.ModelPackageArn,
    });
  });

  it("treats a second delivery of the same trigger as already started, not as an error", async () => {
    sfn()
      .on(StartExecutionCommand)
      .resolvesOnce({ executionArn: "arn:x", startDate: new Date() })
      .rejects(Object.assign(new Error("Execution already exists"), { name: "ExecutionAlreadyExists" }));
    const log = recordingLog();
    expect((await startPipeline(approved, { ...deps(), log })).status).to.equal("started");
    expect((await startPipeline(approved, { ...deps(), log })).status).to.equal("already-started");
    expect(log.entries.some((e) => e.message.includes("already started"))).to.equal(true);
  });

  it("passes other errors on, so that EventBridge retries the delivery", async () => {
    sfn()
      .on(StartExecutionCommand)
      .rejects(Object.assign(new Error("slow down"), { name: "ThrottlingException" }));
    const error = await failureOf(startPipeline(scheduled, deps()));
    expect(error.name).to.equal("ThrottlingException");
  });

  it("refuses events it was not built for", async () => {
    for (const event of [
      { ...approved, detail: { ...approved.detail, ModelApprovalStatus: "Rejected" } },
      { source: "aws.s3" },
    ]) {
      const error = await failureOf(startPipeline(event, deps()));
      expect(error.name).to.equal("InvalidEventError");
    }
    expect(sfn().commandCalls(StartExecutionCommand)).to.have.length(0);
  });
});
