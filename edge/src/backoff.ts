/**
 * Waits that grow while nothing works (an empty folder, a camera that is down) and start small again once something
 * does: doubling from `minMs` to `maxMs`, never below `floorMs` (the configured interval).
 */
export class Backoff {
  private current: number;

  constructor(
    private readonly minMs: number,
    private readonly maxMs: number,
    private readonly floorMs = 0,
  ) {
    this.current = minMs;
  }

  /** The next wait in milliseconds. */
  next(): number {
    const wait = Math.max(this.current, this.floorMs);
    this.current = Math.min(this.current * 2, this.maxMs);
    return wait;
  }

  reset(): void {
    this.current = this.minMs;
  }
}
