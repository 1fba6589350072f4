import { failedState } from "../stateMachines/progress";
import type { CommandContext } from "./context";
import { EXIT } from "./errors";
import { Snapshot, watchExecution } from "./executions";
import { formatDuration, renderStageChanges, renderStageTable, stageElapsed } from "./render";

// How `start --wait`, `watch` and `describe` report an execution: as lines for a person, or one JSON document.

/** An execution as the JSON document `--json` prints. */
export function executionSummary(context: CommandContext, s: Snapshot) {
  const failed = failedState(s.progress, context.env.stages);
  const now = context.env.now().getTime();
  return {
    executionArn: s.execution.executionArn,
    name: s.execution.name,
    status: s.execution.status,
    startDate: s.execution.startDate?.toISOString(),
    stopDate: s.execution.stopDate?.toISOString(),
    stages: s.stages.map((stage) => ({
      name: stage.name,
      status: stage.status,
      seconds: ((ms) => (ms === undefined ? null : Math.round(ms / 100) / 10))(stageElapsed(stage, now)),
      retries: stage.retries,
    })),
    failedState: failed?.name ?? null,
    error: failed?.error ?? s.progress.error ?? s.execution.error ?? null,
    cause: failed?.cause ?? s.progress.cause ?? s.execution.cause ?? null,
    output: s.execution.output ? JSON.parse(s.execution.output) : null,
  };
}

function durationOf(context: CommandContext, s: Snapshot): number {
  const start = s.execution.startDate?.getTime() ?? context.env.now().getTime();
  return (s.execution.stopDate?.getTime() ?? context.env.now().getTime()) - start;
}

/** Prints the final state of an execution and returns its exit code. */
function finish(context: CommandContext, final: Snapshot): number {
  const { print } = context;
  const result = executionSummary(context, final);
  const ok = final.execution.status === "SUCCEEDED";
  if (context.json) {
    print(JSON.stringify(result));
  } else if (ok) {
    print(`SUCCEEDED in ${formatDuration(durationOf(context, final))}`);
    if (final.execution.output) print(`output: ${final.execution.output}`);
  } else {
    print(`${final.execution.status} after ${formatDuration(durationOf(context, final))}`);
    if (result.failedState) print(`failed state: ${result.failedState}`);
    print(`error: ${result.error ?? "(none)"}`);
    print(`cause: ${result.cause ?? "(none)"}`);
  }
  return ok ? EXIT.ok : EXIT.failed;
}

/** Follows an execution until it ends, showing its stages as they change; returns the exit code of how it ended. */
export async function followExecution(context: CommandContext, executionArn: string): Promise<number> {
  const { env, json, print } = context;
  const tty = Boolean(env.stdout.isTTY) && !json;
  let previous: Snapshot["stages"] = [];
  let drawn = 0;
  if (!json) print(`watching ${executionArn}`);
  const final = await watchExecution(context.sfn(), executionArn, {
    stages: env.stages,
    sleep: env.sleep,
    pollMs: env.pollMs,
    maxPollMs: env.maxPollMs,
    onUpdate(current) {
      if (json) return;
      const now = env.now().getTime();
      if (tty) {
        // Redraw the table in place: cursor up over the last drawing, clear to the end of the screen.
        const lines = renderStageTable(current.stages, now);
        env.stdout.write(`${drawn > 0 ? `\x1b[${drawn}A\x1b[J` : ""}${lines.join("\n")}\n`);
        drawn = lines.length;
      } else {
        const stamp = env.now().toISOString().slice(11, 19);
        for (const line of renderStageChanges(previous, current.stages, now)) print(`[${stamp}] ${line}`);
      }
      previous = current.stages;
    },
  });
  return finish(context, final);
}
