import { z } from "zod";
import { DATA_LAKE_PREFIXES } from "../contracts/dataLake";

/**
 * The queue of triggered runs that found the pipeline busy: one JSON object per run under `run-queue/`, named after
 * the execution that queued itself, holding its input. QueueRun writes it; the trigger starter starts the oldest when
 * a run ends, under the next name of the run (`approved-v3` → `approved-v3-q1` → `approved-v3-q2`).
 */
export const queuedRunSchema = z.object({ name: z.string().min(1), input: z.record(z.string(), z.unknown()) });
export type QueuedRun = z.infer<typeof queuedRunSchema>;

export const queueKey = (executionName: string) => `${DATA_LAKE_PREFIXES.runQueue}${executionName}.json`;

const QUEUED_SUFFIX = /-q(\d+)$/;

/** The name a queued run starts under: its trigger's name with the next `-q<n>`. */
export function dequeuedName(executionName: string): string {
  const match = QUEUED_SUFFIX.exec(executionName);
  const base = match ? executionName.slice(0, match.index) : executionName;
  return `${base}-q${match ? Number(match[1]) + 1 : 1}`;
}
