import type { Command } from "commander";
import { ExecutionListItem, ExecutionStatus, ListExecutionsCommand } from "@aws-sdk/client-sfn";
import type { CommandContext } from "../context";
import { explainAwsError } from "../errors";
import { check, flag, stateMachineArnOf, STATUSES, TargetOptions, withTarget } from "../flags";
import { formatDuration } from "../render";

/** `list`: the state machine's executions, newest first, page after page up to --max. */
export function register(program: Command, context: CommandContext): void {
  withTarget(program.command("list"))
    .description("list executions, newest first")
    .option("--status <status>", `only executions with this status: ${STATUSES.join(", ")}`)
    .option("--max <n>", "at most this many (1–1000)", "20")
    .action(
      context.action(async (options: TargetOptions & { status?: string; max: string }) => {
        const max = check(flag.max, options.max);
        const statusFilter = options.status ? (check(flag.status, options.status) as ExecutionStatus) : undefined;
        const arn = (await stateMachineArnOf(options, true, context.env.pulumi))!;
        const executions: ExecutionListItem[] = [];
        let nextToken: string | undefined;
        do {
          const page = await context
            .sfn()
            .send(
              new ListExecutionsCommand({
                stateMachineArn: arn,
                statusFilter,
                maxResults: Math.min(max, 100),
                nextToken,
              }),
            )
            .catch((error: unknown) => {
              throw explainAwsError(error, arn);
            });
          executions.push(...(page.executions ?? []));
          nextToken = page.nextToken;
        } while (nextToken && executions.length < max);
        printExecutions(context, executions.slice(0, max));
      }),
    );
}

function printExecutions(context: CommandContext, shown: ExecutionListItem[]): void {
  const { print } = context;
  if (context.json) {
    print(
      JSON.stringify(
        shown.map((e) => ({ ...e, startDate: e.startDate?.toISOString(), stopDate: e.stopDate?.toISOString() })),
      ),
    );
  } else if (shown.length === 0) {
    print("no executions");
  } else {
    for (const e of shown) {
      const took = e.stopDate && e.startDate ? formatDuration(e.stopDate.getTime() - e.startDate.getTime()) : "";
      print(`${e.name}  ${e.status}  ${e.startDate?.toISOString()}  ${took}`.trimEnd());
    }
  }
}
