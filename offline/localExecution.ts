import { StateMachine } from "aws-local-stepfunctions";
import type { StateMachineDefinition } from "../stateMachines/asl";
import type { LocalEventLogEntry } from "../stateMachines/progress";

/** A local implementation of a Task's resource: takes the Task's effective input, returns its result. */
export type TaskHandler = (input: unknown) => unknown;

export class MissingTaskHandlerError extends Error {
  override name = "MissingTaskHandlerError";
}

/**
 * The local implementation of every Task state, chosen by the Task's `Resource` (a Lambda function ARN or a service
 * integration such as `arn:aws:states:::sagemaker:createTrainingJob.sync`), so that two states calling the same
 * service (LabelImages and VerifyLabels) share one implementation. Fails before the run when a resource has none.
 */
export function handlersByState(
  definition: StateMachineDefinition,
  byResource: Readonly<Record<string, TaskHandler>>,
): Record<string, TaskHandler> {
  const handlers: Record<string, TaskHandler> = {};
  const missing: string[] = [];
  for (const [name, state] of Object.entries(definition.States)) {
    if (state.Type !== "Task") continue;
    const handler = byResource[state.Resource];
    if (handler) handlers[name] = handler;
    else missing.push(`${name} (${state.Resource})`);
  }
  if (missing.length > 0) throw new MissingTaskHandlerError(`no local implementation for ${missing.join(", ")}`);
  return handlers;
}

export interface LocalExecutionOptions {
  input: unknown;
  /** Names the execution like Step Functions: `arn:aws:states:<region>:<account>:execution:<machine>:<name>`. */
  execution: { region: string; account: string; stateMachineName: string; name: string; startTime: Date };
  /** Task state name → its local implementation (see `handlersByState`). */
  handlers: Record<string, TaskHandler>;
  /** Wait state name → milliseconds to wait instead of its `Seconds`. */
  waitMs?: Record<string, number>;
  /** State name → milliseconds before each retry instead of its retriers' intervals. */
  retryMs?: Record<string, number>;
  /** `$$.Task.Token` of the execution's callback Tasks (one token per execution here). */
  taskToken?: string;
  /** Every event as it happens: progress can be shown while the run goes on. */
  onEvent?: (event: LocalEventLogEntry) => void;
}

export interface LocalExecutionResult {
  status: "SUCCEEDED" | "FAILED";
  output?: Record<string, unknown>;
  /** The execution's error and cause when it failed (a Fail state's, or an uncaught error's). */
  error?: { Error: string; Cause: string };
  events: LocalEventLogEntry[];
  executionArn: string;
}

/**
 * Runs a state machine definition on this machine with aws-local-stepfunctions: the same definition Step Functions
 * runs, every Task served by a local handler. Task results travel as JSON, as they do in Step Functions.
 */
export async function runLocally(
  definition: StateMachineDefinition,
  options: LocalExecutionOptions,
): Promise<LocalExecutionResult> {
  const { region, account, stateMachineName, name, startTime } = options.execution;
  const executionArn = `arn:aws:states:${region}:${account}:execution:${stateMachineName}:${name}`;
  const overrides = Object.fromEntries(
    Object.entries(options.handlers).map(([state, handler]) => [
      state,
      async (input: unknown) => JSON.parse(JSON.stringify((await handler(input)) ?? null)),
    ]),
  );
  const machine = new StateMachine(definition as never, { validationOptions: { checkArn: true, checkPaths: true } });
  const execution = machine.run(options.input as never, {
    overrides: {
      taskResourceLocalHandlers: overrides as never,
      waitTimeOverrides: options.waitMs,
      retryIntervalOverrides: options.retryMs,
    },
    context: {
      Execution: {
        Id: executionArn,
        Name: name,
        StartTime: startTime.toISOString(),
        Input: options.input as never,
        RoleArn: `arn:aws:iam::${account}:role/${stateMachineName}`,
      },
      StateMachine: {
        Id: `arn:aws:states:${region}:${account}:stateMachine:${stateMachineName}`,
        Name: stateMachineName,
      },
      ...(options.taskToken ? { Task: { Token: options.taskToken } } : {}),
    } as never,
  });
  const events: LocalEventLogEntry[] = [];
  const collecting = (async () => {
    for await (const event of execution.eventLogs) {
      events.push(event as LocalEventLogEntry);
      options.onEvent?.(event as LocalEventLogEntry);
    }
  })();
  let output: Record<string, unknown> | undefined;
  try {
    output = (await execution.result) as Record<string, unknown>;
  } catch {
    output = undefined;
  }
  await collecting;
  const failed = events.find((e) => e.type === "ExecutionFailed");
  return {
    status: failed ? "FAILED" : "SUCCEEDED",
    output: failed ? undefined : output,
    error: failed ? { Error: String(failed.Error), Cause: causeText(failed.Cause) } : undefined,
    events,
    executionArn,
  };
}

const causeText = (cause: unknown) => (typeof cause === "string" ? cause : JSON.stringify(cause));
