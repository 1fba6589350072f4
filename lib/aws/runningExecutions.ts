import { paginateListExecutions, SFNClient } from "@aws-sdk/client-sfn";
import type { RunningExecutions } from "../ports";

/** Lists a state machine's RUNNING executions, every page. */
export function stepFunctionsRunningExecutions(client: SFNClient): RunningExecutions {
  return {
    async list(stateMachineArn) {
      const running = [];
      for await (const page of paginateListExecutions({ client }, { stateMachineArn, statusFilter: "RUNNING" })) {
        for (const execution of page.executions ?? []) {
          running.push({ name: execution.name!, startTime: execution.startDate!.toISOString() });
        }
      }
      return running;
    },
  };
}
