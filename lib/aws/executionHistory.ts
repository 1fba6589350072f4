import { paginateGetExecutionHistory, SFNClient } from "@aws-sdk/client-sfn";
import type { RunHistory } from "../ports";

/**
 * Reads an execution's history. The failure notice is the state machine's only SNS Task, so a succeeded `sns:publish`
 * Task means the run sent its own alert.
 */
export function stepFunctionsRunHistory(client: SFNClient): RunHistory {
  return {
    async notified(executionArn) {
      const pages = paginateGetExecutionHistory({ client }, { executionArn, reverseOrder: true, maxResults: 200 });
      for await (const page of pages) {
        for (const event of page.events ?? []) {
          const task = event.taskSucceededEventDetails;
          if (event.type === "TaskSucceeded" && task?.resourceType === "sns" && task.resource === "publish")
            return true;
        }
      }
      return false;
    },
  };
}
