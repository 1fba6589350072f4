/**
 * The p-chart of failed parts per device: consecutive parts in subgroups of `window`, each point the share of failed
 * parts in its subgroup; the centre line is the share over all complete subgroups, the control limits three standard
 * deviations of a subgroup's share (√(p̄(1−p̄)/n)) either side, clipped to [0, 1]. A point outside the limits says the
 * process changed (or the model did) rather than chance.
 */

/** Parts remembered per device: enough for 200 subgroups of 50. */
export const MAX_PARTS_PER_DEVICE = 10_000;
export const MIN_WINDOW = 2;
export const MAX_WINDOW = 1000;
export const DEFAULT_WINDOW = 50;

export interface ChartPoint {
  /** 0-based subgroup number. */
  subgroup: number;
  failed: number;
  p: number;
  outside: "above" | "below" | null;
}

export interface PChart {
  device: string;
  window: number;
  /** Parts seen; those after the last complete subgroup wait for it to fill. */
  parts: number;
  /** Null until one subgroup is complete. */
  centre: number | null;
  upper: number | null;
  lower: number | null;
  points: ChartPoint[];
}

/** The chart of one device from its parts in order (true = failed). */
export function pChart(device: string, failedParts: readonly boolean[], window: number): PChart {
  if (!Number.isInteger(window) || window < MIN_WINDOW || window > MAX_WINDOW) {
    throw new RangeError(`window must be a whole number from ${MIN_WINDOW} to ${MAX_WINDOW} (got ${window})`);
  }
  const subgroups = Math.floor(failedParts.length / window);
  const counts = Array.from({ length: subgroups }, (_, i) =>
    failedParts.slice(i * window, (i + 1) * window).reduce((sum, failed) => sum + (failed ? 1 : 0), 0),
  );
  const base = { device, window, parts: failedParts.length };
  if (subgroups === 0) return { ...base, centre: null, upper: null, lower: null, points: [] };
  const centre = counts.reduce((a, b) => a + b, 0) / (subgroups * window);
  const sigma = Math.sqrt((centre * (1 - centre)) / window);
  const upper = Math.min(1, centre + 3 * sigma);
  const lower = Math.max(0, centre - 3 * sigma);
  const points = counts.map((failed, subgroup) => {
    const p = failed / window;
    return { subgroup, failed, p, outside: p > upper ? "above" : p < lower ? "below" : null } as ChartPoint;
  });
  return { ...base, centre, upper, lower, points };
}

/** Each device's parts in arrival order, the oldest forgotten past MAX_PARTS_PER_DEVICE. */
export class PartOutcomes {
  private readonly byDevice = new Map<string, boolean[]>();

  add(device: string, failed: boolean): void {
    const parts = this.byDevice.get(device) ?? [];
    parts.push(failed);
    if (parts.length > MAX_PARTS_PER_DEVICE) parts.splice(0, parts.length - MAX_PARTS_PER_DEVICE);
    this.byDevice.set(device, parts);
  }

  /** One chart per device, devices in name order. */
  charts(window: number): PChart[] {
    return [...this.byDevice.keys()].sort().map((device) => pChart(device, this.byDevice.get(device)!, window));
  }
}
