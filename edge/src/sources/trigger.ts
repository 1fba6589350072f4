import { setTimeout as sleep } from "node:timers/promises";
import { z } from "zod";
import { Log } from "../log";
import { RepeatedProblem } from "../repeatedProblem";
import { Transport } from "../transports/transport";
import { Frame, ImageSource, isFrame } from "./source";

const name = z.string().min(1).max(128);

/** What a PLC gateway (or anything else) publishes on the trigger topic when a part is in front of the camera. */
export const triggerPayload = z.object({ partId: name, line: name.optional(), station: name.optional() });

export interface Trigger extends z.output<typeof triggerPayload> {
  /** `Date.now()` when the trigger arrived: frames captured earlier show the previous part. */
  at: number;
}

/** Triggers not yet served are kept up to this many; beyond it the oldest are dropped (and said so). */
const MAX_WAITING = 100;

/**
 * Triggers from the transport's subscription (MQTT topic, or Greengrass local pub/sub), served in order. A payload
 * that is not a trigger is logged (once while it repeats) and ignored.
 */
export class TriggerQueue {
  private readonly waiting: Trigger[] = [];
  private wake?: () => void;
  private readonly invalid: RepeatedProblem;

  constructor(
    transport: Transport,
    readonly topic: string,
    private readonly log: Log,
  ) {
    this.invalid = new RepeatedProblem(log, "warn");
    if (!transport.subscribe) throw new Error(`the ${transport.name} transport cannot receive triggers`);
    transport.subscribe(topic, (payload) => this.receive(payload));
  }

  receive(payload: Buffer): void {
    let parsed;
    try {
      parsed = triggerPayload.safeParse(JSON.parse(payload.toString("utf8")));
    } catch {
      parsed = undefined;
    }
    if (!parsed?.success) {
      this.invalid.report(
        `ignoring a message on ${this.topic}: a trigger is JSON {"partId": "<1 to 128 characters>", "line"?: "…", "station"?: "…"}`,
      );
      return;
    }
    this.waiting.push({ ...parsed.data, at: Date.now() });
    if (this.waiting.length > MAX_WAITING) {
      const dropped = this.waiting.shift()!;
      this.log.warn(`more than ${MAX_WAITING} triggers waiting: dropped the one for part ${dropped.partId}`);
    }
    this.wake?.();
  }

  /** The next trigger; undefined once `signal` aborts. */
  async next(signal: AbortSignal): Promise<Trigger | undefined> {
    while (this.waiting.length === 0) {
      if (signal.aborted) return undefined;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        signal.addEventListener("abort", () => resolve(), { once: true });
      });
      this.wake = undefined;
    }
    return this.waiting.shift();
  }
}

/**
 * The first frame the source delivers at or after the trigger, within `timeoutMs`; otherwise a sentence naming the
 * part and what the source said last. Frames captured before the trigger show the previous part and are passed over.
 */
export async function captureFor(
  source: ImageSource,
  trigger: Trigger,
  timeoutMs: number,
  stopped: AbortSignal,
): Promise<Frame | string> {
  const deadline = trigger.at + timeoutMs;
  let last = "nothing arrived";
  while (Date.now() < deadline && !stopped.aborted) {
    const signal = AbortSignal.any([stopped, AbortSignal.timeout(Math.max(1, deadline - Date.now()))]);
    try {
      const pull = await source.next(signal);
      if (pull === "end") {
        last = "the source has no more images";
        break;
      }
      if (isFrame(pull)) {
        if (pull.capturedAt >= trigger.at) return pull;
        continue;
      }
      last = pull.idle;
    } catch (error) {
      // Our own deadline cutting a request short is not news: the reason is what the source said before it.
      if (!signal.aborted || last === "nothing arrived") last = (error as Error).message;
    }
    await sleep(Math.min(50, Math.max(0, deadline - Date.now())), undefined, { signal: stopped }).catch(() => {});
  }
  return `no frame for part ${trigger.partId} within ${timeoutMs / 1000} s from ${source.kind}: ${last}`;
}
