import type { Command } from "commander";
import { StopExecutionCommand } from "@aws-sdk/client-sfn";
import type { CommandContext } from "../context";
import { explainAwsError } from "../errors";
import { executionArnFor } from "../executions";
import { stateMachineArnOf, TargetOptions, withTarget } from "../flags";

/** `stop`: stops a running execution, recording who stopped it and why. */
export function register(program: Command, context: CommandContext): void {
  withTarget(program.command("stop <execution>"))
    .description("stop a running execution")
    .option("--cause <text>", "why it was stopped (recorded in the execution)")
    .action(
      context.action(async (execution: string, options: TargetOptions & { cause?: string }) => {
        const executionArn = executionArnFor(execution, await stateMachineArnOf(options, false, context.env.pulumi));
        const stopped = await context
          .sfn()
          .send(new StopExecutionCommand({ executionArn, cause: options.cause, error: "StoppedByUser" }))
          .catch((error: unknown) => {
            throw explainAwsError(error, executionArn);
          });
        if (context.json) context.print(JSON.stringify({ executionArn, stopDate: stopped.stopDate?.toISOString() }));
        else context.print(`stopped ${executionArn}`);
      }),
    );
}
