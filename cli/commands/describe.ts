import type { Command } from "commander";
import { failedState } from "../../stateMachines/progress";
import type { CommandContext } from "../context";
import { executionSummary } from "../executionReport";
import { executionArnFor, snapshot } from "../executions";
import { stateMachineArnOf, TargetOptions, withTarget } from "../flags";
import { renderStageTable } from "../render";

/** `describe`: an execution's status and stages, once. */
export function register(program: Command, context: CommandContext): void {
  withTarget(program.command("describe <execution>"))
    .description("show an execution's status and stages")
    .action(
      context.action(async (execution: string, options: TargetOptions) => {
        const { env, print } = context;
        const executionArn = executionArnFor(execution, await stateMachineArnOf(options, false, env.pulumi));
        const current = await snapshot(context.sfn(), executionArn, env.stages);
        if (context.json) {
          print(JSON.stringify(executionSummary(context, current)));
          return;
        }
        const { name, status, startDate } = current.execution;
        print(`${name}  ${status}  started ${startDate?.toISOString()}`);
        for (const line of renderStageTable(current.stages, env.now().getTime())) print(`  ${line}`);
        const failed = failedState(current.progress, env.stages);
        if (failed) print(`failed state: ${failed.name}\nerror: ${failed.error}\ncause: ${failed.cause}`);
      }),
    );
}
