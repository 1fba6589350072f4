import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { StartExecutionCommand } from "@aws-sdk/client-sfn";
import { z } from "zod";
import { stepFunctionsRunningExecutions } from "../../lib/aws/runningExecutions";
import { busyMessage } from "../../lib/busyPipeline";
import type { CommandContext } from "../context";
import { CliError, EXIT, explainAwsError, UsageError } from "../errors";
import { followExecution } from "../executionReport";
import { consoleUrl, defaultExecutionName } from "../executions";
import { check, flag, stateMachineArnOf, TargetOptions, withTarget } from "../flags";

/** `start`: starts an execution (refused while another run has not ended), and with --wait follows it. */
export function register(program: Command, context: CommandContext): void {
  withTarget(program.command("start"))
    .description("start an execution")
    .option("--input <file>", "JSON file with the execution input (default: {})")
    .option("--name <name>", "execution name (default: manual-<minute>-<hash of input>)")
    .option("--wait", "then watch it until it ends")
    .action(
      context.action(async (options: TargetOptions & { input?: string; name?: string; wait?: boolean }) => {
        const { env, json, print } = context;
        const input = readInput(options.input, env.inputSchema);
        const text = JSON.stringify(input);
        const name = options.name ? check(flag.name, options.name) : defaultExecutionName(text, env.now());
        const arn = (await stateMachineArnOf(options, true, env.pulumi))!;
        // The run would stop in StartRun (one run at a time) and raise an alert; say so before starting it. A run of
        // the same name is a double start, which StartExecution refuses below.
        const running = await stepFunctionsRunningExecutions(context.sfn())
          .list(arn)
          .catch((error: unknown) => {
            throw explainAwsError(error, arn);
          });
        const others = running.filter((other) => other.name !== name);
        if (others.length > 0) throw new CliError(`${busyMessage(others)} (nothing was started)`);
        const started = await context
          .sfn()
          .send(new StartExecutionCommand({ stateMachineArn: arn, name, input: text }))
          .catch((error: unknown) => {
            throw explainAwsError(error, `${arn} (execution ${name})`);
          });
        const executionArn = started.executionArn!;
        if (!options.wait || !json) {
          const startDate = started.startDate?.toISOString();
          if (json) print(JSON.stringify({ executionArn, name, startDate, consoleUrl: consoleUrl(executionArn) }));
          else print(`started ${executionArn}\nconsole: ${consoleUrl(executionArn)}`);
        }
        return options.wait ? followExecution(context, executionArn) : EXIT.ok;
      }),
    );
}

/** The execution input from --input (or {}), checked against the schema the state machine validates with. */
function readInput(file: string | undefined, schema: z.ZodType): unknown {
  let input: unknown = {};
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (error) {
      throw new UsageError(`--input ${file} cannot be read: ${(error as Error).message}`);
    }
    try {
      input = JSON.parse(text);
    } catch (error) {
      throw new UsageError(`--input ${file} is not valid JSON: ${(error as Error).message}`);
    }
  }
  const result = schema.safeParse(input);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `input.${issue.path.join(".") || "(root)"}: ${issue.message}`);
    throw new UsageError(`--input ${file ?? "{}"} is not a valid pipeline input:\n  ${problems.join("\n  ")}`);
  }
  return result.data;
}
