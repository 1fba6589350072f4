import { z } from "zod";
import { DATA_LAKE_PREFIXES } from "../../contracts/dataLake";
import { dequeuedName, queuedRunSchema } from "../../lib/runQueue";
import { readAll } from "../../lib/streams";
import { parseJson } from "../shared/json";
import type { Alerts, ExecutionStarter, Log, ObjectStore, RunHistory, RunningExecutions } from "../../lib/ports";

/** The end of a run, as EventBridge reports every execution status change of the state machine. */
export const executionStatusEventSchema = z.object({
  source: z.literal("aws.states"),
  "detail-type": z.literal("Step Functions Execution Status Change"),
  detail: z.object({
    executionArn: z.string().startsWith("arn:"),
    stateMachineArn: z.string().startsWith("arn:"),
    name: z.string().min(1),
    status: z.enum(["RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"]),
    error: z.string().nullish(),
    cause: z.string().nullish(),
  }),
});
export type ExecutionStatusEvent = z.output<typeof executionStatusEventSchema>;

export interface RunEndedDeps {
  namePrefix: string;
  objects: ObjectStore;
  executions: RunningExecutions;
  pipeline: ExecutionStarter;
  history: RunHistory;
  alerts: Alerts;
  log: Log;
}

export interface RunEndedResult {
  /** An alert was sent for a run that ended badly without its own failure notice. */
  alerted: boolean;
  /** The queued run started now, under its new name. */
  started: string | null;
}

/**
 * What happens when a run ends: a run that ended badly without sending its own failure notice (aborted, timed out,
 * failed outside a Catch or inside NotifyFailure) gets one alert here; then, if no other run is going, the oldest
 * queued run starts.
 */
export async function runEnded(event: ExecutionStatusEvent, deps: RunEndedDeps): Promise<RunEndedResult> {
  const { executionArn, stateMachineArn, name, status } = event.detail;
  if (status === "RUNNING") return { alerted: false, started: null };
  const alerted = status !== "SUCCEEDED" && !(await deps.history.notified(executionArn));
  if (alerted) {
    const region = executionArn.split(":")[3];
    await deps.alerts.publish(
      `[${deps.namePrefix}] quality-inspection run ${status.toLowerCase().replace("_", " ")}: ${name}`.slice(0, 100),
      JSON.stringify({
        state: null,
        error: event.detail.error ?? `States.${status}`,
        cause: event.detail.cause ?? `the execution ended as ${status} without a failure notice`,
        execution: executionArn,
        console: `https://${region}.console.aws.amazon.com/states/home?region=${region}#/v2/executions/details/${executionArn}`,
      }),
    );
    deps.log.warn("run ended badly without a failure notice; alerted", { executionArn, status });
  }
  return { alerted, started: await startNextQueued(stateMachineArn, deps) };
}

/** The oldest queued run, started under its next name when the pipeline is idle; its record is removed. */
async function startNextQueued(stateMachineArn: string, deps: RunEndedDeps): Promise<string | null> {
  const running = await deps.executions.list(stateMachineArn);
  if (running.length > 0) return null;
  const queued = [];
  for await (const object of deps.objects.list(DATA_LAKE_PREFIXES.runQueue)) queued.push(object);
  const [oldest] = queued.sort(
    (a, b) => a.lastModified.getTime() - b.lastModified.getTime() || (a.key < b.key ? -1 : 1),
  );
  if (!oldest) return null;
  const record = queuedRunSchema.parse(
    parseJson((await readAll(await deps.objects.read(oldest.key))).toString("utf8")),
  );
  const name = dequeuedName(record.name);
  // A second delivery of this event finds the name taken: the run started once.
  const status = await deps.pipeline.start(name, record.input);
  await deps.objects.delete([oldest.key]);
  deps.log.info("queued run started", { queuedAs: record.name, name, status });
  return name;
}
