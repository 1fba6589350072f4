import { expect } from "chai";
import { GetExecutionHistoryCommand, SFNClient } from "@aws-sdk/client-sfn";
import { mockClient } from "aws-sdk-client-mock";
import { stepFunctionsRunHistory } from "../../../lib/aws/executionHistory";
import { mockedClient } from "../../fakes/sdkMock";

describe("the execution history adapter: did the run send its own failure notice? (SDK mocked)", () => {
  const sfn = mockedClient(() => mockClient(SFNClient));
  const arn = "arn:aws:states:eu-west-1:123456789012:execution:qi-dev-pipeline:manual-run-1";
  const notified = () => stepFunctionsRunHistory(new SFNClient({})).notified(arn);
  const lambdaSucceeded = {
    type: "TaskSucceeded",
    taskSucceededEventDetails: { resourceType: "lambda", resource: "invoke" },
  };

  it("yes, when an sns:publish Task succeeded on any page", async () => {
    sfn()
      .on(GetExecutionHistoryCommand, { nextToken: undefined })
      .resolves({ events: [lambdaSucceeded as never], nextToken: "p2" });
    sfn()
      .on(GetExecutionHistoryCommand, { nextToken: "p2" })
      .resolves({
        events: [
          { type: "TaskSucceeded", taskSucceededEventDetails: { resourceType: "sns", resource: "publish" } } as never,
        ],
      });
    expect(await notified()).to.equal(true);
  });

  it("no, when the publish only failed (NotifyFailure's Catch took it) or never ran", async () => {
    sfn()
      .on(GetExecutionHistoryCommand)
      .resolves({
        events: [
          lambdaSucceeded as never,
          {
            type: "TaskFailed",
            taskFailedEventDetails: { resourceType: "sns", resource: "publish", error: "SNS.X" },
          } as never,
        ],
      });
    expect(await notified()).to.equal(false);
  });
});
