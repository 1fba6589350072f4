import type { HistoryEvent } from "@aws-sdk/client-sfn";

/**
 * Execution progress as a small event stream. Step Functions' execution history and the local interpreter's event log
 * (the offline run) both translate into it, so `watch` and `npm start` show stages the same way.
 */
export type ProgressEvent =
  | { type: "ExecutionStarted"; at: number }
  | { type: "ExecutionSucceeded"; at: number }
  | { type: "ExecutionFailed"; at: number; error?: string; cause?: string }
  | { type: "ExecutionAborted" | "ExecutionTimedOut"; at: number }
  /** `kind` is the state's type (Task, Choice, Fail…) where the source tells it. */
  | { type: "StateEntered"; at: number; state: string; kind?: string }
  | { type: "StateExited"; at: number; state: string }
  /** One attempt of a state failed; it may be retried or caught afterwards. */
  | { type: "StateFailed"; at: number; state: string; error?: string; cause?: string }
  | { type: "StateRetried"; at: number; state: string }
  | { type: "StateCaught"; at: number; state: string };

export type ExecutionStatus = "RUNNING" | "SUCCEEDED" | "FAILED" | "ABORTED" | "TIMED_OUT";
export type RunStatus = "running" | "succeeded" | "failed" | "caught";

/** One entry into one state. */
export interface StateRun {
  name: string;
  kind?: string;
  enteredAt: number;
  endedAt?: number;
  status: RunStatus;
  attempts: number;
  error?: string;
  cause?: string;
}

export interface ExecutionProgress {
  status: ExecutionStatus;
  startedAt?: number;
  endedAt?: number;
  runs: StateRun[];
  error?: string;
  cause?: string;
}

const FAILURE_TYPES = new Set([
  "TaskFailed",
  "TaskTimedOut",
  "TaskStartFailed",
  "TaskSubmitFailed",
  "LambdaFunctionFailed",
  "LambdaFunctionTimedOut",
  "LambdaFunctionStartFailed",
  "LambdaFunctionScheduleFailed",
  "ActivityFailed",
  "ActivityTimedOut",
  "ActivityScheduleFailed",
  "MapStateFailed",
  "ParallelStateFailed",
]);
const ATTEMPT_TYPES = new Set(["TaskScheduled", "LambdaFunctionScheduled", "ActivityScheduled"]);

/** Error and cause of a failure event, whichever details field carries them. */
function failureDetails(event: HistoryEvent): { error?: string; cause?: string } {
  const details =
    event.taskFailedEventDetails ??
    event.taskTimedOutEventDetails ??
    event.taskStartFailedEventDetails ??
    event.taskSubmitFailedEventDetails ??
    event.lambdaFunctionFailedEventDetails ??
    event.lambdaFunctionTimedOutEventDetails ??
    event.lambdaFunctionStartFailedEventDetails ??
    event.lambdaFunctionScheduleFailedEventDetails ??
    event.activityFailedEventDetails ??
    event.activityTimedOutEventDetails ??
    event.activityScheduleFailedEventDetails ??
    event.executionFailedEventDetails ??
    event.executionTimedOutEventDetails ??
    event.executionAbortedEventDetails;
  return { error: details?.error, cause: details?.cause };
}

/**
 * Translates Step Functions history events (in id order) into progress events. A failure or a (re)scheduling is
 * attributed to its state by following `previousEventId` back to the state's entry, which stays right inside Map
 * and Parallel states where several states run at once.
 */
export function fromExecutionHistory(history: HistoryEvent[]): ProgressEvent[] {
  const byId = new Map<number, HistoryEvent>();
  const attemptsByEntry = new Map<number, number>();
  const events: ProgressEvent[] = [];

  const entryOf = (event: HistoryEvent): HistoryEvent | undefined => {
    let current: HistoryEvent | undefined = event;
    while (current && !current.type?.endsWith("StateEntered")) {
      current = current.previousEventId ? byId.get(current.previousEventId) : undefined;
    }
    return current;
  };

  for (const event of history) {
    if (event.id !== undefined) byId.set(event.id, event);
    const at = event.timestamp ? new Date(event.timestamp).getTime() : 0;
    const type = event.type ?? "";
    if (type === "ExecutionStarted") events.push({ type: "ExecutionStarted", at });
    else if (type === "ExecutionSucceeded") events.push({ type: "ExecutionSucceeded", at });
    else if (type === "ExecutionFailed") events.push({ type: "ExecutionFailed", at, ...failureDetails(event) });
    else if (type === "ExecutionAborted") events.push({ type: "ExecutionAborted", at });
    else if (type === "ExecutionTimedOut") events.push({ type: "ExecutionTimedOut", at });
    else if (type.endsWith("StateEntered")) {
      // A state entered straight after a failure is the Catch target: the failed state's error was caught.
      const previous = event.previousEventId ? byId.get(event.previousEventId) : undefined;
      const caught = previous && FAILURE_TYPES.has(previous.type ?? "") ? entryOf(previous) : undefined;
      const caughtState = caught?.stateEnteredEventDetails?.name;
      if (caughtState) events.push({ type: "StateCaught", at, state: caughtState });
      const kind = type.slice(0, -"StateEntered".length);
      events.push({ type: "StateEntered", at, state: event.stateEnteredEventDetails?.name ?? "?", kind });
    } else if (type.endsWith("StateExited")) {
      events.push({ type: "StateExited", at, state: event.stateExitedEventDetails?.name ?? "?" });
    } else if (FAILURE_TYPES.has(type) || ATTEMPT_TYPES.has(type)) {
      const entry = entryOf(event);
      const state = entry?.stateEnteredEventDetails?.name;
      if (!state || entry?.id === undefined) continue;
      if (FAILURE_TYPES.has(type)) {
        events.push({ type: "StateFailed", at, state, ...failureDetails(event) });
      } else {
        const attempts = (attemptsByEntry.get(entry.id) ?? 0) + 1;
        attemptsByEntry.set(entry.id, attempts);
        if (attempts > 1) events.push({ type: "StateRetried", at, state });
      }
    }
  }
  return events;
}

/** One entry of aws-local-stepfunctions' event log (the fields progress reads). */
export interface LocalEventLogEntry {
  type: string;
  timestamp: number;
  state?: { name: string; type?: string };
  Error?: string;
  Cause?: unknown;
}

const causeText = (cause: unknown) =>
  cause === undefined || typeof cause === "string" ? cause : JSON.stringify(cause);

/**
 * Translates the local interpreter's event log (the offline run) into progress events. Its events already name
 * their state, so nothing needs following back; Map iteration and Parallel branch events carry no stage of their own.
 */
export function fromLocalEventLog(log: LocalEventLogEntry[]): ProgressEvent[] {
  const events: ProgressEvent[] = [];
  for (const entry of log) {
    const at = entry.timestamp;
    const state = entry.state?.name ?? "?";
    const failure = { error: entry.Error, cause: causeText(entry.Cause) };
    switch (entry.type) {
      case "ExecutionStarted":
      case "ExecutionSucceeded":
      case "ExecutionAborted":
        events.push({ type: entry.type, at });
        break;
      case "ExecutionTimeout":
        events.push({ type: "ExecutionTimedOut", at });
        break;
      case "ExecutionFailed":
        events.push({ type: "ExecutionFailed", at, ...failure });
        break;
      case "StateEntered":
        events.push({ type: "StateEntered", at, state, kind: entry.state?.type });
        break;
      case "StateExited":
      case "StateRetried":
      case "StateCaught":
        events.push({ type: entry.type, at, state });
        break;
      case "StateFailed":
        // A Fail state ends the execution on purpose; Step Functions records no failure of the state itself.
        if (entry.state?.type !== "Fail") events.push({ type: "StateFailed", at, state, ...failure });
        break;
    }
  }
  return events;
}

/** Folds progress events into the runs of each state and the execution's status. */
export function buildProgress(events: ProgressEvent[]): ExecutionProgress {
  const progress: ExecutionProgress = { status: "RUNNING", runs: [] };
  const openRun = (state: string) => progress.runs.findLast((run) => run.name === state && run.endedAt === undefined);

  for (const event of events) {
    switch (event.type) {
      case "ExecutionStarted":
        progress.startedAt = event.at;
        break;
      case "StateEntered":
        progress.runs.push({
          name: event.state,
          kind: event.kind,
          enteredAt: event.at,
          status: "running",
          attempts: 1,
        });
        break;
      case "StateExited": {
        const run = openRun(event.state);
        if (run) {
          run.endedAt = event.at;
          if (run.status === "running") run.status = "succeeded";
        }
        break;
      }
      case "StateFailed": {
        const run = openRun(event.state);
        if (run) Object.assign(run, { status: "failed", error: event.error, cause: event.cause });
        break;
      }
      case "StateRetried": {
        const run = openRun(event.state);
        if (run) Object.assign(run, { status: "running", attempts: run.attempts + 1 });
        break;
      }
      case "StateCaught": {
        const run = openRun(event.state);
        if (run) Object.assign(run, { status: "caught", endedAt: event.at });
        break;
      }
      case "ExecutionSucceeded":
        progress.status = "SUCCEEDED";
        progress.endedAt = event.at;
        break;
      case "ExecutionFailed":
        Object.assign(progress, { status: "FAILED", endedAt: event.at, error: event.error, cause: event.cause });
        break;
      case "ExecutionAborted":
      case "ExecutionTimedOut":
        progress.status = event.type === "ExecutionAborted" ? "ABORTED" : "TIMED_OUT";
        progress.endedAt = event.at;
        break;
    }
  }
  if (progress.status !== "RUNNING") {
    for (const run of progress.runs) {
      if (run.endedAt === undefined) run.endedAt = progress.endedAt;
      // A Fail state did its job by ending the execution; anything else cut off by the end did not finish.
      if (run.status === "running") {
        run.status = progress.status === "SUCCEEDED" || run.kind === "Fail" ? "succeeded" : "failed";
      }
    }
  }
  return progress;
}

/** A stage groups the states that do one job (labeling, training…). */
export interface StageDefinition {
  name: string;
  states: readonly string[];
  /** States whose entry means the stage failed (e.g. the Pass state that reports a failed compilation job). */
  failureStates?: readonly string[];
}

export type StageStatus = "pending" | "running" | "succeeded" | "failed" | "skipped";

export interface StageProgress {
  name: string;
  status: StageStatus;
  startedAt?: number;
  endedAt?: number;
  /** Attempts beyond the first, over all the stage's states. */
  retries: number;
  error?: string;
  cause?: string;
}

/** Stages in definition order, then any state the definitions do not name, as a stage of its own. */
export function stageProgress(progress: ExecutionProgress, definitions: readonly StageDefinition[]): StageProgress[] {
  const known = new Set(definitions.flatMap((d) => d.states));
  const extra = [...new Set(progress.runs.map((r) => r.name).filter((name) => !known.has(name)))];
  const all: StageDefinition[] = [...definitions, ...extra.map((name) => ({ name, states: [name] }))];
  const finished = progress.status !== "RUNNING";

  return all.map((definition) => {
    const runs = progress.runs.filter((run) => definition.states.includes(run.name));
    const failedRun = failedState({ ...progress, runs }, [definition]);
    let status: StageStatus;
    if (runs.length === 0) status = finished ? "skipped" : "pending";
    else if (failedRun) status = "failed";
    else if (runs.some((run) => run.status === "running")) status = "running";
    else status = "succeeded";
    const ends = runs.map((run) => run.endedAt);
    return {
      name: definition.name,
      status,
      startedAt: runs.length > 0 ? Math.min(...runs.map((run) => run.enteredAt)) : undefined,
      endedAt: runs.length > 0 && ends.every((end) => end !== undefined) ? Math.max(...(ends as number[])) : undefined,
      retries: runs.reduce((sum, run) => sum + run.attempts - 1, 0),
      error: failedRun?.error,
      cause: failedRun?.cause,
    };
  });
}

/**
 * The state where the execution went wrong: the first state whose error no retry recovered, else the first state
 * that reports a failure the definition routed to (a failed compilation job, a timed-out deployment).
 */
export function failedState(
  progress: ExecutionProgress,
  definitions: readonly StageDefinition[] = [],
): StateRun | undefined {
  const failureStates = new Set(definitions.flatMap((d) => d.failureStates ?? []));
  return (
    progress.runs.find((run) => run.status === "failed" || run.status === "caught") ??
    progress.runs.find((run) => failureStates.has(run.name))
  );
}
