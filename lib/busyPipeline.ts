import type { RunningExecution } from "./ports";

/** One pipeline run at a time: how runs are ordered, and what a refused start says. */

/** Earlier start first; the name breaks a tie, so of two runs started at once exactly one goes on. */
export function startedBefore(a: RunningExecution, b: RunningExecution): boolean {
  const [ta, tb] = [Date.parse(a.startTime), Date.parse(b.startTime)];
  return ta < tb || (ta === tb && a.name < b.name);
}

/** Names the runs that have not ended, earliest first, and says how to wait for or stop the earliest. */
export function busyMessage(running: RunningExecution[]): string {
  const sorted = [...running].sort((a, b) => (startedBefore(a, b) ? -1 : 1));
  const [first] = sorted;
  return (
    `another run of the pipeline has not ended: ${sorted.map((r) => `${r.name} (started ${r.startTime})`).join(", ")}. ` +
    `Let it finish (npm run pipeline -- watch ${first.name}) or stop it (npm run pipeline -- stop ${first.name}), then start again`
  );
}
