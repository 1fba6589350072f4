import { EventEmitter } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import { Log } from "./log";
import { Outbox, OutboxEntry, OutboxMeta } from "./outbox";

/** Whether the other side is reachable; emits `connected` when it becomes so. */
export interface Link extends EventEmitter {
  readonly connected: boolean;
}

/** Sends one message; resolves once the other side acknowledged it. */
export type Deliver<M extends OutboxMeta> = (entry: OutboxEntry<M>) => Promise<void>;

const MAX_BACKOFF_MS = 30_000;

/**
 * Moves messages from an outbox to a link, oldest first, one at a time: a message is removed only after the link
 * acknowledged it, so order is kept and a failure only ever repeats the message in flight. Waits while the link is
 * down; backs off when it is up but refuses messages.
 */
export class Courier<M extends OutboxMeta> extends EventEmitter {
  private running?: Promise<void>;
  private stopping = false;
  private readonly stopped = new AbortController();
  private nudged = false;
  private wake?: () => void;
  private failures = 0;
  private readonly nudge = () => {
    this.nudged = true;
    this.wake?.();
  };

  constructor(
    private readonly outbox: Outbox<M>,
    private readonly link: Link,
    private readonly deliver: Deliver<M>,
    private readonly log: Log,
  ) {
    super();
  }

  start(): void {
    this.outbox.on("appended", this.nudge);
    this.link.on("connected", this.nudge);
    this.running = this.loop();
  }

  /** Resolves when the outbox is empty, or false after `ms`. */
  async drained(ms: number): Promise<boolean> {
    if (this.outbox.length === 0) return true;
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => finish(false), ms);
      const onEmpty = () => finish(true);
      const finish = (empty: boolean) => {
        clearTimeout(timer);
        this.outbox.off("empty", onEmpty);
        resolve(empty);
      };
      this.outbox.on("empty", onEmpty);
    });
  }

  /** Stops after the message in flight (if any) is settled. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.stopped.abort();
    this.outbox.off("appended", this.nudge);
    this.link.off("connected", this.nudge);
    this.nudge();
    await this.running;
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      if (!this.link.connected) {
        await this.pause();
        continue;
      }
      const entry = await this.outbox.peek();
      if (!entry) {
        await this.pause();
        continue;
      }
      try {
        await this.deliver(entry);
      } catch (error) {
        this.failures += 1;
        if (this.failures === 1 || this.failures % 10 === 0) {
          this.log.warn(
            `delivery failed (${this.failures}x, ${this.outbox.length} queued): ${(error as Error).message}`,
          );
        }
        // A dropped connection is waited out above; a link that is up but refuses gets time before the retry.
        if (this.link.connected) await this.backOff();
        continue;
      }
      this.failures = 0;
      await this.outbox.remove(entry.id);
      this.emit("delivered", entry);
    }
  }

  /** Waits for a nudge: a new message, a reconnect, or stop. */
  private async pause(): Promise<void> {
    if (!this.nudged) await new Promise<void>((resolve) => (this.wake = resolve));
    this.wake = undefined;
    this.nudged = false;
  }

  /** Waits 0.5 s, 1 s, 2 s … up to 30 s after consecutive refusals; only stop cuts it short. */
  private async backOff(): Promise<void> {
    const ms = Math.min(500 * 2 ** (this.failures - 1), MAX_BACKOFF_MS);
    await sleep(ms, undefined, { signal: this.stopped.signal }).catch(() => undefined);
  }
}
