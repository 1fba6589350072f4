import { SFNClient, StartExecutionCommand } from "@aws-sdk/client-sfn";
import type { ExecutionStarter } from "../ports";

/** Starts executions of one state machine; a name already used means the trigger already started this run. */
export function stepFunctionsStarter(client: SFNClient, stateMachineArn: string): ExecutionStarter {
  return {
    async start(name, input) {
      try {
        await client.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }));
        return "started";
      } catch (error) {
        if (error instanceof Error && error.name === "ExecutionAlreadyExists") return "already-started";
        throw error;
      }
    },
  };
}
