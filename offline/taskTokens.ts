import { randomUUID } from "node:crypto";
import type { ObjectStore, TaskCallbacks } from "../lib/ports";
import { writeRequestedObject } from "./s3Integration";
import { ServiceError } from "./serviceError";

interface Waiting {
  resolve(output: unknown): void;
  reject(error: Error): void;
  heartbeatMs?: number;
  timer?: NodeJS.Timeout;
}

/**
 * Step Functions' task tokens on this machine: a callback Task waits on its token until someone calls `succeed` or
 * `fail` (the labeling app does, through the same `TaskCallbacks` port it uses against AWS), or until no heartbeat came
 * for HeartbeatSeconds (States.HeartbeatTimeout). TimeoutSeconds is the local state machine's own.
 */
export class LocalTaskTokens implements TaskCallbacks {
  private readonly waiting = new Map<string, Waiting>();
  private readonly finished = new Set<string>();

  /** A fresh token, as Step Functions hands one to each callback Task (`$$.Task.Token`). */
  static newToken(): string {
    return `local-task-token-${randomUUID()}`;
  }

  /** Resolves with the output `succeed` sends; rejects with `fail`'s error, or on a missed heartbeat. */
  waitFor(token: string, heartbeatSeconds?: number): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const entry: Waiting = { resolve, reject, heartbeatMs: heartbeatSeconds && heartbeatSeconds * 1000 };
      this.waiting.set(token, entry);
      this.arm(token, entry);
    });
  }

  /** Tokens waiting now. */
  get open(): string[] {
    return [...this.waiting.keys()];
  }

  async succeed(token: string, output: unknown): Promise<void> {
    this.settle(token).resolve(JSON.parse(JSON.stringify(output ?? null)));
  }

  async fail(token: string, error: string, cause: string): Promise<void> {
    this.settle(token).reject(new ServiceError(error, cause));
  }

  async heartbeat(token: string): Promise<void> {
    const entry = this.entry(token);
    this.arm(token, entry);
  }

  /** Stops every wait (the run is being torn down). */
  close(): void {
    for (const token of this.open) this.settle(token).reject(new ServiceError("States.Runtime", "the run stopped"));
  }

  private arm(token: string, entry: Waiting): void {
    clearTimeout(entry.timer);
    if (!entry.heartbeatMs) return;
    entry.timer = setTimeout(() => {
      this.settle(token).reject(new ServiceError("States.HeartbeatTimeout", "no heartbeat from the task"));
    }, entry.heartbeatMs);
  }

  private entry(token: string): Waiting {
    const entry = this.waiting.get(token);
    if (entry) return entry;
    if (this.finished.has(token)) throw new ServiceError("TaskTimedOut", "the task of this token has ended");
    throw new ServiceError("InvalidToken", "no task has this token");
  }

  private settle(token: string): Waiting {
    const entry = this.entry(token);
    clearTimeout(entry.timer);
    this.waiting.delete(token);
    this.finished.add(token);
    return entry;
  }
}

/** The callback integration LabelImages uses when the labeling app labels (labeling.provider=builtin). */
export const PUT_OBJECT_AND_WAIT = "arn:aws:states:::aws-sdk:s3:putObject.waitForTaskToken";

/**
 * `aws-sdk:s3:putObject.waitForTaskToken` on the local data lake: writes the object (a JSON Body is written as
 * JSON, as Step Functions serialises it), tells `written`, then waits for the execution's task token.
 */
export function putObjectAndWait(
  objects: ObjectStore,
  tokens: LocalTaskTokens,
  task: { token: string; heartbeatSeconds?: number },
  written: (key: string, body: string) => void | Promise<void> = () => {},
): (input: unknown) => Promise<unknown> {
  return async (input) => {
    // Waiting starts before the write: an app that answers at once finds the token.
    const waiting = tokens.waitFor(task.token, task.heartbeatSeconds);
    const { key, body } = await writeRequestedObject(objects, input);
    await written(key, body);
    return waiting;
  };
}
