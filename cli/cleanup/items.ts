import type { JobKind } from "../ports";

// What cleanup removes, in which order, and how each step reads for a person.

/** Kinds of resources, in the order they are removed: nothing is deleted while something still running may use it. */
export const CLEANUP_ORDER = [
  "execution",
  "labeling-job",
  "training-job",
  "compilation-job",
  "deployment",
  "component-version",
  "core-device",
  "model-package",
  "data",
] as const;
export type CleanupKind = (typeof CLEANUP_ORDER)[number];

export const KIND_NAMES: Record<CleanupKind, string> = {
  execution: "execution",
  "labeling-job": "labeling job",
  "training-job": "training job",
  "compilation-job": "compilation job",
  deployment: "deployment",
  "component-version": "component version",
  "core-device": "core device",
  "model-package": "model package",
  data: "data lake",
};

/** The SageMaker job kinds, in removal order. */
export const JOB_KINDS = ["labeling-job", "training-job", "compilation-job"] as const satisfies readonly JobKind[];

export type CleanupAction = "stop" | "cancel and delete" | "delete" | "empty";
const DONE: Record<CleanupAction, string> = {
  stop: "stopped",
  "cancel and delete": "cancelled and deleted",
  delete: "deleted",
  empty: "emptied",
};

export interface CleanupItem {
  kind: CleanupKind;
  /** What the AWS call takes: an ARN, a name or an id. */
  id: string;
  /** How a person recognises it. */
  label: string;
  action: CleanupAction;
}

export type Outcome = "removed" | "gone" | "failed" | "skipped";
export interface ItemResult extends CleanupItem {
  outcome: Outcome;
  message?: string;
  /** A deployment that could not be cancelled: it may still hand its component versions to devices. */
  stillActive?: boolean;
}

/** The items in removal order; within a kind, the order they were found in. */
export function inCleanupOrder(items: CleanupItem[]): CleanupItem[] {
  return [...items].sort((a, b) => CLEANUP_ORDER.indexOf(a.kind) - CLEANUP_ORDER.indexOf(b.kind));
}

/** One line of the plan: what will happen to what. */
export function describeItem(item: CleanupItem): string {
  return `${item.action} ${KIND_NAMES[item.kind]} ${item.label}`;
}

/** One line of progress: what happened to it. */
export function describeResult(result: ItemResult): string {
  const what = `${KIND_NAMES[result.kind]} ${result.label}`;
  switch (result.outcome) {
    case "removed":
      return `${DONE[result.action]} ${what}${result.message ? ` (${result.message})` : ""}`;
    case "gone":
      return `${what}: ${result.message ?? "already gone"}`;
    case "skipped":
      return `skipped ${what}: ${result.message}`;
    case "failed":
      return `FAILED to ${result.action} ${what}: ${result.message}`;
  }
}
