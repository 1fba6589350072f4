import { expect } from "chai";
import { policyDocument } from "../../cloud/iam";
import { labelerStatements, stateMachineStatements, StateMachineAccessArgs } from "../../cloud/pipelinePolicies";
import { MANAGED_POLICY_ALLOW_LIST, RESOURCE_WILDCARD_ALLOW_LIST } from "../harness/iamAllowList";
import { checkPolicyDocument } from "../harness/iamChecker";
import { promiseOf } from "../harness/pulumiProgram";

const scope = {
  partition: "aws",
  region: "eu-west-1",
  accountId: "123456789012",
  namePrefix: "qi-dev",
  bucketArn: "arn:aws:s3:::qi-dev-lake",
};
const rules = {
  resourceWildcardAllowList: RESOURCE_WILDCARD_ALLOW_LIST,
  managedPolicyAllowList: MANAGED_POLICY_ALLOW_LIST,
};
type Statement = { Sid: string; Action: string[]; Resource: string | string[] };
const statements = async (list: Parameters<typeof policyDocument>[0]) =>
  (JSON.parse(await promiseOf(policyDocument(list))) as { Statement: Statement[] }).Statement;

describe("the labeling app's permissions", () => {
  it("the labeler's policy is least-privilege: labeling/ to write, images/ to read, the task callbacks", async () => {
    const document = JSON.parse(await promiseOf(policyDocument(labelerStatements(scope))));
    expect(checkPolicyDocument(document, rules)).to.deep.equal([]);
    const actions = (document.Statement as Statement[]).flatMap((s) => s.Action).sort();
    expect(actions).to.deep.equal([
      "s3:GetObject",
      "s3:ListBucket",
      "s3:PutObject",
      "states:SendTaskFailure",
      "states:SendTaskHeartbeat",
      "states:SendTaskSuccess",
    ]);
    const writes = (document.Statement as Statement[]).find((s) => s.Action.includes("s3:PutObject"))!;
    expect(writes.Resource).to.deep.equal(["arn:aws:s3:::qi-dev-lake/labeling/*"]);
  });

  it("the state machine writes batches instead of running Ground Truth jobs when the app labels", async () => {
    const args = (labelingProvider: StateMachineAccessArgs["labelingProvider"]): StateMachineAccessArgs => ({
      ...scope,
      functionArns: ["arn:aws:lambda:eu-west-1:123456789012:function:qi-dev-ingest-labels"],
      modelPackageGroupName: "qi-dev-scratch-detector",
      modelPackageGroupArn: "arn:aws:sagemaker:eu-west-1:123456789012:model-package-group/qi-dev-scratch-detector",
      sagemakerRoleArn: "arn:aws:iam::123456789012:role/qi-dev-sagemaker",
      labelingRoleArn: "arn:aws:iam::123456789012:role/qi-dev-labeling",
      alertsTopicArn: "arn:aws:sns:eu-west-1:123456789012:qi-dev-alerts",
      thingGroupName: "qi-dev-fleet",
      coreDevices: ["qi-dev-line-1"],
      labelingProvider,
    });
    const builtin = await statements(stateMachineStatements(args("builtin")));
    const groundTruth = await statements(stateMachineStatements(args("groundtruth")));
    expect(builtin.flatMap((s) => s.Action)).to.not.include("sagemaker:CreateLabelingJob");
    expect(builtin.find((s) => s.Sid === "WriteLabelingBatches")).to.deep.include({
      Action: ["s3:PutObject"],
      Resource: ["arn:aws:s3:::qi-dev-lake/labeling/*"],
    });
    expect(groundTruth.flatMap((s) => s.Action)).to.include("sagemaker:CreateLabelingJob");
    // Ground Truth writes the job's output itself; the state machine writes nothing under labeling/.
    const groundTruthWrites = groundTruth.filter((s) => s.Action.includes("s3:PutObject")).flatMap((s) => s.Resource);
    expect(groundTruthWrites).to.not.include("arn:aws:s3:::qi-dev-lake/labeling/*");
    expect(groundTruth.find((s) => s.Sid === "WriteLabelingBatches")).to.equal(undefined);
  });
});
