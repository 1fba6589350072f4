import { createHash } from "node:crypto";
import {
  DescribeExecutionCommand,
  DescribeExecutionCommandOutput,
  GetExecutionHistoryCommand,
  HistoryEvent,
  SFNClient,
} from "@aws-sdk/client-sfn";
import {
  buildProgress,
  ExecutionProgress,
  fromExecutionHistory,
  StageDefinition,
  stageProgress,
} from "../stateMachines/progress";
import { explainAwsError, UsageError } from "./errors";
import { allPages } from "./pages";

const EXECUTION_NAME = /^[A-Za-z0-9_-]{1,80}$/;

/** An execution ARN, or a name resolved against the state machine's ARN. */
export function executionArnFor(nameOrArn: string, stateMachineArn: string | undefined): string {
  if (nameOrArn.startsWith("arn:")) {
    if (!/^arn:[a-z-]+:states:[a-z0-9-]+:\d{12}:execution:[^:]+:[^:]+$/.test(nameOrArn)) {
      throw new UsageError(`<execution> must be an execution ARN or name (got "${nameOrArn}")`);
    }
    return nameOrArn;
  }
  if (!EXECUTION_NAME.test(nameOrArn)) {
    throw new UsageError(`<execution> must be an execution ARN or a name of 1–80 letters, digits, - or _`);
  }
  if (!stateMachineArn) {
    throw new UsageError("an execution name needs the state machine: pass --stack or --state-machine-arn");
  }
  return `${stateMachineArn.replace(":stateMachine:", ":execution:")}:${nameOrArn}`;
}

/**
 * Default name of a manual execution: the minute it was started and a hash of its input. Starting the same input twice
 * in the same minute is refused by Step Functions (duplicate name) instead of running the pipeline twice.
 */
export function defaultExecutionName(input: string, now: Date): string {
  const minute = now.toISOString().slice(0, 16).replace(/[-:]/g, "");
  return `manual-${minute}-${createHash("sha256").update(input).digest("hex").slice(0, 8)}`;
}

export function consoleUrl(executionArn: string): string {
  const [, partition, , region] = executionArn.split(":");
  const host =
    partition === "aws-cn"
      ? "console.amazonaws.cn"
      : partition === "aws-us-gov"
        ? "console.amazonaws-us-gov.com"
        : "console.aws.amazon.com";
  return `https://${region}.${host}/states/home?region=${region}#/v2/executions/details/${executionArn}`;
}

/** The whole history, every page. */
export async function fetchHistory(client: SFNClient, executionArn: string): Promise<HistoryEvent[]> {
  return allPages<HistoryEvent>(async (nextToken) => {
    const page = await client
      .send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, nextToken }))
      .catch((error: unknown) => {
        throw explainAwsError(error, executionArn);
      });
    return { items: page.events, nextToken: page.nextToken };
  });
}

export async function describeExecution(client: SFNClient, executionArn: string) {
  return client.send(new DescribeExecutionCommand({ executionArn })).catch((error: unknown) => {
    throw explainAwsError(error, executionArn);
  });
}

export interface Snapshot {
  execution: DescribeExecutionCommandOutput;
  /** History events so far: when it grows, the execution moved. */
  eventCount: number;
  progress: ExecutionProgress;
  stages: ReturnType<typeof stageProgress>;
}

export async function snapshot(client: SFNClient, executionArn: string, stages: readonly StageDefinition[]) {
  // Describe first: once it reports an end, the history fetched after it holds the final event.
  const execution = await describeExecution(client, executionArn);
  const history = await fetchHistory(client, executionArn);
  const progress = buildProgress(fromExecutionHistory(history));
  return {
    execution,
    eventCount: history.length,
    progress,
    stages: stageProgress(progress, stages),
  } satisfies Snapshot;
}

export interface WatchOptions {
  stages: readonly StageDefinition[];
  onUpdate: (snapshot: Snapshot) => void;
  sleep: (ms: number) => Promise<void>;
  /** First poll interval; it grows by half while nothing changes, up to `maxPollMs`. */
  pollMs: number;
  maxPollMs: number;
}

/** Follows an execution until it ends; returns its last snapshot. */
export async function watchExecution(client: SFNClient, executionArn: string, options: WatchOptions) {
  let delay = options.pollMs;
  let seen = -1;
  for (;;) {
    const current = await snapshot(client, executionArn, options.stages);
    options.onUpdate(current);
    if (current.execution.status !== "RUNNING") return current;
    delay = current.eventCount > seen ? options.pollMs : Math.min(options.maxPollMs, Math.round(delay * 1.5));
    seen = current.eventCount;
    await options.sleep(delay);
  }
}
