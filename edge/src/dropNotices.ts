import { InferenceError } from "../../contracts/inferenceMessages";
import { Log } from "./log";
import { errorMessage } from "./messages";
import { Dropped, Outbox } from "./outbox";

/** Which outbox dropped: the results' own, or the queue of images waiting for upload. */
export type DropSource = "outbox" | "upload-outbox";

const WHAT: Record<DropSource, { outbox: string; items: string }> = {
  outbox: { outbox: "outbox", items: "messages" },
  "upload-outbox": { outbox: "upload outbox", items: "images waiting for upload" },
};

/** The log says it at most this often; the notice itself always carries the exact count. */
const LOG_EVERY_MS = 60_000;

/**
 * Reports what a full outbox dropped without making things worse: one pending `OUTBOX_DROPPED` notice per source,
 * kept beside the result outbox's queue (never in it, so a notice cannot force a drop), rewritten on every drop with
 * the running count (`droppedTotal`), the count since the previous notice (`dropped`) and when the dropped ones had
 * been queued (`droppedFrom`–`droppedTo`). The log line comes at most once a minute.
 */
export class DropNotices {
  private readonly lastLog = new Map<DropSource, number>();
  /** Dropped since the last log line, per source. */
  private readonly unlogged = new Map<DropSource, number>();

  constructor(
    private readonly outbox: Outbox<{ topic: string }>,
    private readonly errorTopic: string,
    private readonly thingName: string,
    private readonly log: Log,
    private readonly now: () => number = Date.now,
  ) {}

  /** `drop` was dropped by the outbox of `source`, whose limit is `limitBytes` and whose lifetime count is `total`. */
  async record(source: DropSource, drop: Dropped, total: number, limitBytes: number): Promise<void> {
    const pending = await this.outbox.pendingNotice(source);
    const previous = pending && (JSON.parse(pending.payload.toString()) as InferenceError);
    const dropped = (previous?.dropped ?? 0) + drop.count;
    const from = previous?.droppedFrom ?? drop.from.toISOString();
    const to = drop.to.toISOString();
    const { outbox, items } = WHAT[source];
    const text = `${outbox} full (${limitBytes} bytes): dropped the ${dropped} oldest ${items} (queued ${from} to ${to}), ${total} in all`;
    const notice = errorMessage(
      "OUTBOX_DROPPED",
      text,
      { thingName: this.thingName, now: new Date(this.now()) },
      { droppedTotal: total, dropped, droppedFrom: from, droppedTo: to },
    );
    await this.outbox.setNotice(source, Buffer.from(JSON.stringify(notice)), { topic: this.errorTopic });
    this.say(source, drop.count, total, limitBytes);
  }

  private say(source: DropSource, count: number, total: number, limitBytes: number): void {
    const unlogged = (this.unlogged.get(source) ?? 0) + count;
    const last = this.lastLog.get(source);
    const now = this.now();
    if (last !== undefined && now - last < LOG_EVERY_MS) {
      this.unlogged.set(source, unlogged);
      return;
    }
    const { outbox, items } = WHAT[source];
    const window = last === undefined ? "" : ` in the last ${Math.round((now - last) / 1000)} s`;
    this.log.warn(
      `${outbox} full (${limitBytes} bytes): dropped the ${unlogged} oldest ${items}${window}, ${total} in all (said at most once a minute)`,
    );
    this.lastLog.set(source, now);
    this.unlogged.set(source, 0);
  }
}
