import { defineStage } from "../builder";
import { STATES } from "../states";

/** Failure notice: every failure state leads here; one notification, then the run fails with the failed state's error. */
export const failureNoticeStage = defineStage(
  { name: "Failure notice", tasks: [], others: [STATES.notifyFailure, STATES.pipelineFailed] },
  (stage) => {
    const { namePrefix, alertsTopicArn } = stage.args;
    stage.state(STATES.notifyFailure, {
      Type: "Task",
      Resource: "arn:aws:states:::sns:publish",
      Parameters: {
        TopicArn: alertsTopicArn,
        "Subject.$": `States.Format('[${namePrefix}] quality-inspection run failed in {}', $.failure.state)`,
        // An object Message is sent as its JSON text (States.JsonToString would do the same in AWS, but
        // aws-local-stepfunctions drops the escapes of nested quotes, and causes are often JSON themselves).
        "Message.$": "$.failure",
      },
      ResultPath: null,
      TimeoutSeconds: 60,
      Retry: [{ ErrorEquals: ["States.ALL"], IntervalSeconds: 5, MaxAttempts: 3, BackoffRate: 2 }],
      // A failed notification must not hide the failure itself.
      Catch: [{ ErrorEquals: ["States.ALL"], ResultPath: "$.notificationError", Next: STATES.pipelineFailed }],
      Next: STATES.pipelineFailed,
    });
    stage.state(STATES.pipelineFailed, { Type: "Fail", ErrorPath: "$.failure.error", CausePath: "$.failure.cause" });
  },
);
