import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import {
  ExecutionListItem,
  ExecutionStatus,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from "@aws-sdk/client-sfn";
import { GreengrassV2Client } from "@aws-sdk/client-greengrassv2";
import { S3Client } from "@aws-sdk/client-s3";
import { SageMakerClient } from "@aws-sdk/client-sagemaker";
import { createInterface } from "node:readline/promises";
import { z } from "zod";
import { runCleanup, stackTargets } from "./cleanup";
import { deviceReports, formatDeviceReports, isHealthy } from "./devices";
import { CliError, EXIT, explainAwsError, UsageError } from "./errors";
import { consoleUrl, defaultExecutionName, executionArnFor, snapshot, Snapshot, watchExecution } from "./executions";
import { failedState, StageDefinition } from "../stateMachines/progress";
import { formatDuration, renderStageChanges, renderStageTable, stageElapsed } from "./render";
import {
  coreDevicesFromStack,
  PROJECT_DIR,
  PulumiRunner,
  selectedStackName,
  stackConfigFromFile,
  stackOutputs,
  stateMachineArnFromStack,
} from "./stack";
import { pipelineInputSchema } from "../contracts/pipelineInput";
import { stepFunctionsRunningExecutions } from "../lib/aws/runningExecutions";
import { busyMessage } from "../lib/busyPipeline";
import { PIPELINE_STAGES } from "../stateMachines/stages";
import { requireDeclaredRuntime } from "../lib/runtime";
import { AWS_REGION } from "../contracts/awsNames";

export interface Output {
  write(text: string): unknown;
  isTTY?: boolean;
}

/** Everything the CLI touches outside itself, so tests can run it in-process against a local endpoint. */
export interface CliEnvironment {
  stdout: Output;
  stderr: Output;
  createClient: (region: string | undefined) => SFNClient;
  createGreengrassClient: (region: string | undefined) => GreengrassV2Client;
  createSageMakerClient: (region: string | undefined) => SageMakerClient;
  createS3Client: (region: string | undefined) => S3Client;
  /** The Pulumi project whose stack files `cleanup` reads; the repository by default. */
  projectDir?: string;
  /** Asks a question on the terminal; absent when there is no terminal to ask on. */
  prompt?: (question: string) => Promise<string>;
  stages: readonly StageDefinition[];
  /** The schema of an execution's input: the one the state machine's first state validates with. */
  inputSchema: z.ZodType;
  pulumi?: PulumiRunner;
  now: () => Date;
  sleep: (ms: number) => Promise<void>;
  pollMs: number;
  maxPollMs: number;
}

const STATUSES = ["RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED", "PENDING_REDRIVE"] as const;

/** Flags are validated here, at the boundary; each message names the flag and the form it wants. */
const flag = {
  region: z.string().regex(AWS_REGION, "--region must be an AWS region such as eu-west-1"),
  stack: z.string().regex(/^[A-Za-z0-9._\-/]+$/, "--stack must be a stack name such as dev"),
  stateMachineArn: z
    .string()
    .regex(
      /^arn:[a-z-]+:states:[a-z0-9-]+:\d{12}:stateMachine:[A-Za-z0-9_-]+$/,
      "--state-machine-arn must look like arn:aws:states:<region>:<account>:stateMachine:<name>",
    ),
  name: z.string().regex(/^[A-Za-z0-9_-]{1,80}$/, "--name must be 1–80 letters, digits, - or _"),
  max: z.coerce
    .number({ error: "--max must be a whole number from 1 to 1000" })
    .int("--max must be a whole number from 1 to 1000")
    .min(1, "--max must be a whole number from 1 to 1000")
    .max(1000, "--max must be a whole number from 1 to 1000"),
  status: z.enum(STATUSES, { error: `--status must be one of ${STATUSES.join(", ")}` }),
};

function check<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new UsageError(`${result.error.issues[0].message} (got ${JSON.stringify(value)})`);
  return result.data;
}

interface TargetOptions {
  stack?: string;
  stateMachineArn?: string;
}

export async function runCli(argv: string[], env: CliEnvironment): Promise<number> {
  const print = (text: string) => env.stdout.write(`${text}\n`);
  let json = false;
  let exitCode: number = EXIT.ok;
  let region: string | undefined;
  let client: SFNClient | undefined;
  const sfn = () => (client ??= env.createClient(region));

  async function stateMachineArn(options: TargetOptions, required: boolean): Promise<string | undefined> {
    if (options.stateMachineArn) return check(flag.stateMachineArn, options.stateMachineArn);
    if (options.stack !== undefined) check(flag.stack, options.stack);
    if (!required && options.stack === undefined) return undefined;
    return stateMachineArnFromStack(options.stack, env.pulumi);
  }

  /** Prints the final state of an execution and returns its exit code. */
  function finish(final: Snapshot): number {
    const result = summary(final);
    const ok = final.execution.status === "SUCCEEDED";
    if (json) {
      print(JSON.stringify(result));
    } else if (ok) {
      print(`SUCCEEDED in ${formatDuration(durationOf(final))}`);
      if (final.execution.output) print(`output: ${final.execution.output}`);
    } else {
      print(`${final.execution.status} after ${formatDuration(durationOf(final))}`);
      if (result.failedState) print(`failed state: ${result.failedState}`);
      print(`error: ${result.error ?? "(none)"}`);
      print(`cause: ${result.cause ?? "(none)"}`);
    }
    return ok ? EXIT.ok : EXIT.failed;
  }

  function durationOf(s: Snapshot): number {
    const start = s.execution.startDate?.getTime() ?? env.now().getTime();
    return (s.execution.stopDate?.getTime() ?? env.now().getTime()) - start;
  }

  function summary(s: Snapshot) {
    const failed = failedState(s.progress, env.stages);
    const now = env.now().getTime();
    return {
      executionArn: s.execution.executionArn,
      name: s.execution.name,
      status: s.execution.status,
      startDate: s.execution.startDate?.toISOString(),
      stopDate: s.execution.stopDate?.toISOString(),
      stages: s.stages.map((stage) => ({
        name: stage.name,
        status: stage.status,
        seconds: ((ms) => (ms === undefined ? null : Math.round(ms / 100) / 10))(stageElapsed(stage, now)),
        retries: stage.retries,
      })),
      failedState: failed?.name ?? null,
      error: failed?.error ?? s.progress.error ?? s.execution.error ?? null,
      cause: failed?.cause ?? s.progress.cause ?? s.execution.cause ?? null,
      output: s.execution.output ? JSON.parse(s.execution.output) : null,
    };
  }

  async function watch(executionArn: string): Promise<number> {
    const tty = Boolean(env.stdout.isTTY) && !json;
    let previous: Snapshot["stages"] = [];
    let drawn = 0;
    if (!json) print(`watching ${executionArn}`);
    const final = await watchExecution(sfn(), executionArn, {
      stages: env.stages,
      sleep: env.sleep,
      pollMs: env.pollMs,
      maxPollMs: env.maxPollMs,
      onUpdate(current) {
        if (json) return;
        const now = env.now().getTime();
        if (tty) {
          // Redraw the table in place: cursor up over the last drawing, clear to the end of the screen.
          const lines = renderStageTable(current.stages, now);
          env.stdout.write(`${drawn > 0 ? `\x1b[${drawn}A\x1b[J` : ""}${lines.join("\n")}\n`);
          drawn = lines.length;
        } else {
          const stamp = env.now().toISOString().slice(11, 19);
          for (const line of renderStageChanges(previous, current.stages, now)) print(`[${stamp}] ${line}`);
        }
        previous = current.stages;
      },
    });
    return finish(final);
  }

  const program = new Command("qi-pipeline")
    .description("Start, watch, list and stop executions of the quality-inspection pipeline")
    .option("--region <region>", "AWS region (default: the AWS SDK's region chain)")
    .option("--json", "print machine-readable JSON only")
    .exitOverride()
    .configureOutput({ writeOut: (s) => env.stdout.write(s), writeErr: (s) => env.stderr.write(s) })
    .hook("preAction", (command) => {
      const globals = command.opts<{ region?: string; json?: boolean }>();
      json = Boolean(globals.json);
      region = globals.region === undefined ? undefined : check(flag.region, globals.region);
    });

  const target = (command: Command) =>
    command
      .option("--stack <stack>", "Pulumi stack whose outputs name the state machine (default: the selected stack)")
      .option("--state-machine-arn <arn>", "the state machine, instead of reading it from the stack");

  target(program.command("start"))
    .description("start an execution")
    .option("--input <file>", "JSON file with the execution input (default: {})")
    .option("--name <name>", "execution name (default: manual-<minute>-<hash of input>)")
    .option("--wait", "then watch it until it ends")
    .action(async (options: TargetOptions & { input?: string; name?: string; wait?: boolean }) => {
      const input = readInput(options.input, env.inputSchema);
      const text = JSON.stringify(input);
      const name = options.name ? check(flag.name, options.name) : defaultExecutionName(text, env.now());
      const arn = (await stateMachineArn(options, true))!;
      // The run would stop in StartRun (one run at a time) and raise an alert; say so before starting it. A run of
      // the same name is a double start, which StartExecution refuses below.
      const running = await stepFunctionsRunningExecutions(sfn())
        .list(arn)
        .catch((error: unknown) => {
          throw explainAwsError(error, arn);
        });
      const others = running.filter((other) => other.name !== name);
      if (others.length > 0) throw new CliError(`${busyMessage(others)} (nothing was started)`);
      const started = await sfn()
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
      if (options.wait) exitCode = await watch(executionArn);
    });

  target(program.command("watch <execution>"))
    .description("follow an execution (ARN, or name with --stack/--state-machine-arn) until it ends")
    .action(async (execution: string, options: TargetOptions) => {
      exitCode = await watch(executionArnFor(execution, await stateMachineArn(options, false)));
    });

  target(program.command("describe <execution>"))
    .description("show an execution's status and stages")
    .action(async (execution: string, options: TargetOptions) => {
      const executionArn = executionArnFor(execution, await stateMachineArn(options, false));
      const current = await snapshot(sfn(), executionArn, env.stages);
      if (json) print(JSON.stringify(summary(current)));
      else {
        print(
          `${current.execution.name}  ${current.execution.status}  started ${current.execution.startDate?.toISOString()}`,
        );
        for (const line of renderStageTable(current.stages, env.now().getTime())) print(`  ${line}`);
        const failed = failedState(current.progress, env.stages);
        if (failed) print(`failed state: ${failed.name}\nerror: ${failed.error}\ncause: ${failed.cause}`);
      }
    });

  target(program.command("list"))
    .description("list executions, newest first")
    .option("--status <status>", `only executions with this status: ${STATUSES.join(", ")}`)
    .option("--max <n>", "at most this many (1–1000)", "20")
    .action(async (options: TargetOptions & { status?: string; max: string }) => {
      const max = check(flag.max, options.max);
      const statusFilter = options.status ? (check(flag.status, options.status) as ExecutionStatus) : undefined;
      const arn = (await stateMachineArn(options, true))!;
      const executions: ExecutionListItem[] = [];
      let nextToken: string | undefined;
      do {
        const page = await sfn()
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
      const shown = executions.slice(0, max);
      if (json) {
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
    });

  target(program.command("stop <execution>"))
    .description("stop a running execution")
    .option("--cause <text>", "why it was stopped (recorded in the execution)")
    .action(async (execution: string, options: TargetOptions & { cause?: string }) => {
      const executionArn = executionArnFor(execution, await stateMachineArn(options, false));
      const stopped = await sfn()
        .send(new StopExecutionCommand({ executionArn, cause: options.cause, error: "StoppedByUser" }))
        .catch((error: unknown) => {
          throw explainAwsError(error, executionArn);
        });
      if (json) print(JSON.stringify({ executionArn, stopDate: stopped.stopDate?.toISOString() }));
      else print(`stopped ${executionArn}`);
    });

  program
    .command("devices")
    .description("show the stack's Greengrass core devices: status, deployments, components (exit 1 if any is unwell)")
    .option("--stack <stack>", "Pulumi stack whose outputs name the devices (default: the selected stack)")
    .option("--thing <name...>", "these core devices instead of the stack's")
    .action(async (options: { stack?: string; thing?: string[] }) => {
      if (options.stack !== undefined) check(flag.stack, options.stack);
      const things = options.thing ?? (await coreDevicesFromStack(options.stack, env.pulumi));
      const reports = await deviceReports(env.createGreengrassClient(region), things);
      if (json) print(JSON.stringify(reports));
      else for (const line of formatDeviceReports(reports, env.now())) print(line);
      exitCode = reports.every(isHealthy) ? EXIT.ok : EXIT.failed;
    });

  program
    .command("cleanup")
    .description(
      "remove what the stack's pipeline created at run time (running jobs, deployments, component versions, core " +
        "device records, model packages), before `pulumi destroy`",
    )
    .option("--stack <stack>", "the Pulumi stack (default: the selected stack)")
    .option("--dry-run", "only list what would be removed")
    .option("--yes", "remove without asking")
    .option("--delete-data", "also delete every object in the data lake (needs --yes and dataLake.allowDeleteData)")
    .action(async (options: { stack?: string; dryRun?: boolean; yes?: boolean; deleteData?: boolean }) => {
      if (options.stack !== undefined) check(flag.stack, options.stack);
      const stack = options.stack ?? (await selectedStackName(env.pulumi));
      const config = stackConfigFromFile(env.projectDir ?? PROJECT_DIR, stack);
      const targets = stackTargets(config, await stackOutputs(stack, env.pulumi, null));
      // The stack's own region unless --region says otherwise: cleaning another region would find nothing.
      const at = region ?? targets.region;
      exitCode = await runCleanup(
        targets,
        {
          clients: {
            sfn: env.createClient(at),
            sagemaker: env.createSageMakerClient(at),
            greengrass: env.createGreengrassClient(at),
            s3: env.createS3Client(at),
          },
          sleep: env.sleep,
        },
        { dryRun: Boolean(options.dryRun), yes: Boolean(options.yes), deleteData: Boolean(options.deleteData), json },
        {
          print,
          progress: json ? (line) => env.stderr.write(`${line}\n`) : print,
          confirm: env.prompt,
        },
      );
    });

  try {
    await program.parseAsync(argv, { from: "user" });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here too, with code 0.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    const cliError = error instanceof CliError ? error : explainAwsError(error, "the request");
    env.stderr.write(`error: ${cliError.message}\n`);
    return cliError.exitCode;
  }
}

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

export function defaultEnvironment(): CliEnvironment {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    // Region and credentials come from the standard AWS SDK chain unless --region is given.
    createClient: (region) => new SFNClient(region ? { region } : {}),
    createGreengrassClient: (region) => new GreengrassV2Client(region ? { region } : {}),
    createSageMakerClient: (region) => new SageMakerClient(region ? { region } : {}),
    createS3Client: (region) => new S3Client(region ? { region } : {}),
    prompt: process.stdin.isTTY ? ask : undefined,
    stages: PIPELINE_STAGES,
    inputSchema: pipelineInputSchema,
    now: () => new Date(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    pollMs: 2_000,
    maxPollMs: 15_000,
  };
}

/** One answer from the terminal; the question goes to stderr, so stdout stays clean for --json. */
async function ask(question: string): Promise<string> {
  const terminal = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return await terminal.question(question);
  } finally {
    terminal.close();
  }
}

export async function main(): Promise<void> {
  requireDeclaredRuntime("pipeline");
  process.exitCode = await runCli(process.argv.slice(2), defaultEnvironment());
}

if (require.main === module) void main();
