import type { Command } from "commander";
import type { CommandContext } from "../context";
import { followExecution } from "../executionReport";
import { executionArnFor } from "../executions";
import { stateMachineArnOf, TargetOptions, withTarget } from "../flags";

/** `watch`: follows an execution until it ends; exits as it ended. */
export function register(program: Command, context: CommandContext): void {
  withTarget(program.command("watch <execution>"))
    .description("follow an execution (ARN, or name with --stack/--state-machine-arn) until it ends")
    .action(
      context.action(async (execution: string, options: TargetOptions) =>
        followExecution(
          context,
          executionArnFor(execution, await stateMachineArnOf(options, false, context.env.pulumi)),
        ),
      ),
    );
}
