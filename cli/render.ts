import type { StageProgress, StageStatus } from "../stateMachines/progress";

/** 4 s, 4m 08s, 1h 02m. */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${String(seconds % 60).padStart(2, "0")}s`;
  return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, "0")}m`;
}

const SYMBOL: Record<StageStatus, string> = {
  pending: "·",
  running: "▶",
  succeeded: "✔",
  failed: "✖",
  skipped: "–",
};

export function stageElapsed(stage: StageProgress, now: number): number | undefined {
  if (stage.startedAt === undefined) return undefined;
  return (stage.endedAt ?? now) - stage.startedAt;
}

/** The live table a terminal shows, one line per stage. */
export function renderStageTable(stages: StageProgress[], now: number): string[] {
  const width = Math.max(...stages.map((s) => s.name.length));
  return stages.map((stage) => {
    const elapsed = stageElapsed(stage, now);
    const parts = [
      `${SYMBOL[stage.status]} ${stage.name.padEnd(width)}`,
      stage.status.padEnd(9),
      elapsed === undefined ? "" : formatDuration(elapsed).padStart(7),
    ];
    if (stage.retries > 0) parts.push(`(${stage.retries} ${stage.retries === 1 ? "retry" : "retries"})`);
    return parts.join("  ").trimEnd();
  });
}

/**
 * Plain lines for logs: one line each time a stage changes status or retries, so CI logs read as a timeline.
 * `previous` is what was last reported (empty on the first call).
 */
export function renderStageChanges(previous: StageProgress[], current: StageProgress[], now: number): string[] {
  const before = new Map(previous.map((stage) => [stage.name, stage]));
  const lines: string[] = [];
  for (const stage of current) {
    const old = before.get(stage.name);
    const statusChanged = (old?.status ?? "pending") !== stage.status;
    if (stage.retries > (old?.retries ?? 0) && stage.status === "running") {
      lines.push(`${stage.name}: retrying (attempt ${stage.retries + 1})`);
    }
    if (!statusChanged || stage.status === "pending") continue;
    const elapsed = stageElapsed(stage, now);
    const took = stage.status !== "running" && elapsed !== undefined ? ` in ${formatDuration(elapsed)}` : "";
    const error = stage.status === "failed" && stage.error ? ` (${stage.error})` : "";
    lines.push(`${stage.name}: ${stage.status}${took}${error}`);
  }
  return lines;
}
