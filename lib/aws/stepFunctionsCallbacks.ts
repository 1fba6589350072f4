import {
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  SFNClient,
} from "@aws-sdk/client-sfn";
import type { TaskCallbacks } from "../ports";

/** Step Functions' callback API; the SDK's errors pass through with their names. */
export function stepFunctionsCallbacks(client: SFNClient): TaskCallbacks {
  return {
    async succeed(taskToken, output) {
      await client.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) }));
    },
    async fail(taskToken, error, cause) {
      // The API takes at most 256 characters of error and 32768 of cause.
      await client.send(
        new SendTaskFailureCommand({ taskToken, error: error.slice(0, 256), cause: cause.slice(0, 32_768) }),
      );
    },
    async heartbeat(taskToken) {
      await client.send(new SendTaskHeartbeatCommand({ taskToken }));
    },
  };
}
