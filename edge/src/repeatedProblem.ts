import { Log } from "./log";

/**
 * A problem that repeats (a folder that cannot be listed, a camera that is down) is logged once, then again when it
 * changes — with how often the previous one happened — and once when it clears. A dead camera polled all night
 * writes three lines, not a million.
 */
export class RepeatedProblem {
  private current?: { text: string; count: number };

  constructor(
    private readonly log: Log,
    private readonly level: "warn" | "error" = "error",
  ) {}

  /** Counts the problem; logs it when it is new or different from the last one. Returns whether it logged. */
  report(text: string): boolean {
    if (this.current?.text === text) {
      this.current.count += 1;
      return false;
    }
    this.summarise();
    this.current = { text, count: 1 };
    this.log[this.level](text);
    return true;
  }

  /** The problem is over: says so once, with how often it happened. */
  clear(what = "recovered"): void {
    if (!this.current) return;
    const { text, count } = this.current;
    this.current = undefined;
    this.log.info(`${what} after ${count} ${count === 1 ? "failure" : "failures"} (last: ${text})`);
  }

  get active(): boolean {
    return this.current !== undefined;
  }

  private summarise(): void {
    if (this.current && this.current.count > 1) {
      this.log[this.level](`the previous problem happened ${this.current.count} times: ${this.current.text}`);
    }
  }
}
