import { expect } from "chai";
import { stateMachineArnFromStack } from "../../cli/stack";
import { failureOf } from "../harness/failure";

const ARN = "arn:aws:states:eu-west-1:123456789012:stateMachine:qi-dev-pipeline";
const rejection = async (promise: Promise<unknown>) => (await failureOf(promise)).message;
const failing = (error: Record<string, unknown>) => async () => {
  throw Object.assign(new Error("pulumi failed"), error);
};

describe("finding the state machine from a stack", () => {
  it("reads the stateMachineArn output of the named stack", async () => {
    let args: string[] = [];
    const arn = await stateMachineArnFromStack("prod", async (a) => {
      args = a;
      return { stdout: JSON.stringify({ bucketName: "b", stateMachineArn: ARN }) };
    });
    expect(arn).to.equal(ARN);
    expect(args).to.deep.equal(["stack", "output", "--json", "--stack", "prod"]);
  });

  it("uses the selected stack when none is named", async () => {
    let args: string[] = [];
    await stateMachineArnFromStack(undefined, async (a) => {
      args = a;
      return { stdout: JSON.stringify({ stateMachineArn: ARN }) };
    });
    expect(args).to.deep.equal(["stack", "output", "--json"]);
  });

  it("names an unknown stack", async () => {
    const pulumi = failing({ code: 255, stderr: "error: no stack named 'qa' found\n" });
    expect(await rejection(stateMachineArnFromStack("qa", pulumi))).to.equal(
      `unknown stack "qa": error: no stack named 'qa' found (see \`pulumi stack ls\`)`,
    );
  });

  it("says how to go on without the Pulumi CLI", async () => {
    expect(await rejection(stateMachineArnFromStack("dev", failing({ code: "ENOENT" })))).to.equal(
      "the Pulumi CLI is not on PATH: install it, or pass --state-machine-arn",
    );
  });

  it("says when the stack has no pipeline yet", async () => {
    const pulumi = async () => ({ stdout: JSON.stringify({ bucketName: "b" }) });
    expect(await rejection(stateMachineArnFromStack("dev", pulumi))).to.match(/has no stateMachineArn output/);
  });
});
