import { expect } from "chai";
import {
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  SFNClient,
} from "@aws-sdk/client-sfn";
import { mockClient } from "aws-sdk-client-mock";
import { stepFunctionsCallbacks } from "../../../lib/aws/stepFunctionsCallbacks";
import { mockedClient } from "../../fakes/sdkMock";

describe("the Step Functions callbacks adapter (SDK mocked)", () => {
  const sfn = mockedClient(() => mockClient(SFNClient));
  const callbacks = () => stepFunctionsCallbacks(new SFNClient({}));

  it("sends the output as JSON, the failure cut to the API's limits, and heartbeats", async () => {
    sfn().onAnyCommand().resolves({});
    await callbacks().succeed("t1", { outputManifestUri: "s3://b/k" });
    await callbacks().fail("t1", "E".repeat(300), "c".repeat(40_000));
    await callbacks().heartbeat("t1");
    expect(sfn().commandCalls(SendTaskSuccessCommand)[0].args[0].input).to.deep.equal({
      taskToken: "t1",
      output: '{"outputManifestUri":"s3://b/k"}',
    });
    const failure = sfn().commandCalls(SendTaskFailureCommand)[0].args[0].input;
    expect([failure.error?.length, failure.cause?.length]).to.deep.equal([256, 32_768]);
    expect(sfn().commandCalls(SendTaskHeartbeatCommand)[0].args[0].input).to.deep.equal({ taskToken: "t1" });
  });

  it("passes the service's errors on by name (TaskTimedOut: the run stopped waiting)", async () => {
    sfn()
      .on(SendTaskSuccessCommand)
      .rejects(Object.assign(new Error("gone"), { name: "TaskTimedOut" }));
    const error = await callbacks()
      .succeed("t1", {})
      .catch((e: Error) => e);
    expect((error as Error).name).to.equal("TaskTimedOut");
  });
});
