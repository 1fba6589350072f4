import { z } from "zod";
import { PipelineInputFields, pipelineInputSchema } from "../../contracts/pipelineInput";
import { parseEvent } from "../shared/events";
import type { ExecutionStarter, Log } from "../../lib/ports";
import { executionStatusEventSchema, runEnded, RunEndedDeps, RunEndedResult } from "./runEnded";

/**
 * EventBridge cannot name the executions it starts, so this function does: one deterministic name per trigger, and a
 * second delivery of the same trigger (EventBridge delivers at least once; SageMaker may send an event twice) finds
 * the name taken and starts nothing.
 */
const scheduledEventSchema = z.object({
  source: z.literal("aws.events"),
  "detail-type": z.literal("Scheduled Event"),
  time: z.iso.datetime(),
});
const approvalEventSchema = z.object({
  source: z.literal("aws.sagemaker"),
  "detail-type": z.literal("SageMaker Model Package State Change"),
  detail: z.object({
    ModelPackageArn: z.string(),
    ModelPackageVersion: z.coerce.number().int().positive(),
    ModelApprovalStatus: z.literal("Approved"),
  }),
});
export const startPipelineEventSchema = z.union([scheduledEventSchema, approvalEventSchema]);

export interface StartPipelineResult {
  executionName: string;
  status: "started" | "already-started";
}

/** `2026-12-01T06:00:00Z` → `scheduled-20261201T060000Z`. */
function scheduledName(time: string): string {
  return `scheduled-${new Date(time).toISOString().replace(/[-:]|\.\d+/g, "")}`;
}

export function executionFor(event: z.output<typeof startPipelineEventSchema>): {
  name: string;
  input: PipelineInputFields;
} {
  if (event.source === "aws.events") {
    return { name: scheduledName(event.time), input: { mode: "train", trigger: "schedule" } };
  }
  return {
    name: `approved-v${event.detail.ModelPackageVersion}`,
    input: { mode: "deploy", trigger: "model-approved", modelPackageArn: event.detail.ModelPackageArn },
  };
}

export async function startPipeline(
  event: unknown,
  { pipeline, log }: { pipeline: ExecutionStarter; log: Log },
): Promise<StartPipelineResult> {
  const { name, input } = executionFor(parseEvent(startPipelineEventSchema, event));
  parseEvent(pipelineInputSchema, input);
  const status = await pipeline.start(name, input);
  if (status === "already-started") log.info("this trigger already started its run; nothing to do", { name });
  else log.info("run started", { name, input });
  return { executionName: name, status };
}

/**
 * Everything EventBridge sends the starter: a schedule or an approval starts a run; a run's end alerts when the run
 * could not, and starts the next queued run.
 */
export async function onTrigger(event: unknown, deps: RunEndedDeps): Promise<StartPipelineResult | RunEndedResult> {
  const ended = executionStatusEventSchema.safeParse(event);
  return ended.success ? runEnded(ended.data, deps) : startPipeline(event, deps);
}
