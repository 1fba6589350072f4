/**
 * Builds execution histories shaped exactly like GetExecutionHistory's JSON (awsJson1_0: epoch-second timestamps,
 * ids chained through previousEventId), so the fixtures exercise the real SDK deserialisation and our model.
 */
export interface HistoryEventJson {
  id: number;
  previousEventId: number;
  timestamp: number;
  type: string;
  [details: string]: unknown;
}

const TASK = { type: "lambda", resource: "invoke", region: "eu-west-1" };

export class HistoryBuilder {
  readonly events: HistoryEventJson[] = [];
  private clock: number;

  constructor(start = new Date("2026-11-29T10:00:00Z")) {
    this.clock = start.getTime() / 1000;
  }

  /** Lets `seconds` pass before the next event. */
  after(seconds: number): this {
    this.clock += seconds;
    return this;
  }

  private push(type: string, details: Record<string, unknown> = {}, previousEventId?: number): number {
    const id = this.events.length + 1;
    this.events.push({ id, previousEventId: previousEventId ?? id - 1, timestamp: this.clock, type, ...details });
    return id;
  }

  started(input: unknown = {}): this {
    this.push("ExecutionStarted", {
      executionStartedEventDetails: { input: JSON.stringify(input), roleArn: "arn:aws:iam::123456789012:role/sfn" },
    });
    return this;
  }

  enter(name: string, kind = "Task"): this {
    this.push(`${kind}StateEntered`, { stateEnteredEventDetails: { name, input: "{}" } });
    return this;
  }

  exit(name: string, kind = "Task", output: unknown = {}): this {
    this.push(`${kind}StateExited`, { stateExitedEventDetails: { name, output: JSON.stringify(output) } });
    return this;
  }

  /** One Task attempt: scheduled, started, then succeeded or failed with `error`. */
  attempt(outcome: { error: string; cause: string } | "ok", seconds = 1): this {
    this.push("TaskScheduled", { taskScheduledEventDetails: { ...TASK, parameters: "{}" } });
    this.push("TaskStarted", { taskStartedEventDetails: { resourceType: TASK.type, resource: TASK.resource } });
    this.after(seconds);
    if (outcome === "ok") {
      this.push("TaskSucceeded", {
        taskSucceededEventDetails: { resourceType: "lambda", resource: "invoke", output: "{}" },
      });
    } else {
      this.push("TaskFailed", { taskFailedEventDetails: { resourceType: "lambda", resource: "invoke", ...outcome } });
    }
    return this;
  }

  /** A Task state that succeeds after `failures` retried attempts. */
  task(name: string, seconds = 1, failures: { error: string; cause: string }[] = []): this {
    this.enter(name);
    for (const failure of failures) this.attempt(failure, seconds).after(2);
    return this.attempt("ok", seconds).exit(name);
  }

  pass(name: string, kind = "Pass"): this {
    return this.enter(name, kind).exit(name, kind);
  }

  succeeded(output: unknown = {}): this {
    this.push("ExecutionSucceeded", { executionSucceededEventDetails: { output: JSON.stringify(output) } });
    return this;
  }

  failed(error: string, cause: string): this {
    this.push("ExecutionFailed", { executionFailedEventDetails: { error, cause } });
    return this;
  }

  /** A Map state running `iterations` copies of an inner Task state. */
  map(name: string, inner: string, iterations: number): this {
    this.enter(name, "Map");
    this.push("MapStateStarted", { mapStateStartedEventDetails: { length: iterations } });
    for (let index = 0; index < iterations; index += 1) {
      this.push("MapIterationStarted", { mapIterationStartedEventDetails: { name, index } });
      this.task(inner);
      this.push("MapIterationSucceeded", { mapIterationSucceededEventDetails: { name, index } });
    }
    this.push("MapStateSucceeded");
    return this.exit(name, "Map");
  }
}
