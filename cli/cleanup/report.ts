import type { Discovery } from "./discovery";
import { describeItem, ItemResult, Outcome } from "./items";
import type { StackTargets } from "./targets";

// What cleanup tells a person (or, under --json, a script): the plan, what it keeps, and how the removal went.

export interface CleanupOptions {
  dryRun: boolean;
  yes: boolean;
  deleteData: boolean;
  json: boolean;
}

/** What cleanup leaves in place on purpose, and why. */
export function keptNotes(targets: StackTargets, options: CleanupOptions): string[] {
  const notes = ["records of finished SageMaker jobs (SageMaker keeps them; they cannot be deleted and cost nothing)"];
  if (!targets.bucketName) {
    if (options.deleteData) notes.push("no data lake to delete: the stack has no bucketName output (not deployed)");
  } else if (!options.deleteData) {
    notes.push(
      `the data lake s3://${targets.bucketName}` +
        (targets.allowDeleteData
          ? " (--delete-data --yes deletes its objects)"
          : ` (stack ${targets.stack} does not allow --delete-data)`),
    );
  }
  return notes;
}

/** The plan as lines: what was found, what could not be listed, what is kept. */
export function planLines(targets: StackTargets, found: Discovery, kept: string[]): string[] {
  const header = `stack ${targets.stack} (${targets.namePrefix}, ${targets.region})`;
  const count = found.items.length;
  return [
    count === 0
      ? `${header}: nothing the pipeline created at run time is left`
      : `${header}: ${count} resource${count === 1 ? "" : "s"} the pipeline created at run time`,
    ...found.items.map((item) => `  ${describeItem(item)}`),
    ...found.problems.map((problem) => `  ${problem}`),
    ...kept.map((note) => `kept: ${note}`),
  ];
}

/** The one JSON document of --json: the plan, or once removed, each item with its outcome. */
export function cleanupDocument(
  targets: StackTargets,
  options: CleanupOptions,
  found: Discovery,
  kept: string[],
  results?: ItemResult[],
): string {
  return JSON.stringify({
    stack: targets.stack,
    namePrefix: targets.namePrefix,
    region: targets.region,
    dryRun: options.dryRun,
    items: results ?? found.items,
    problems: found.problems,
    kept,
  });
}

export function countOf(results: ItemResult[], outcome: Outcome): number {
  return results.filter((r) => r.outcome === outcome).length;
}

/** The closing lines for a person: the counts, and what to do next. */
export function outcomeLines(stack: string, results: ItemResult[], unfinished: number): string[] {
  const count = (outcome: Outcome) => countOf(results, outcome);
  return [
    `${count("removed")} removed, ${count("gone")} already gone, ${count("failed")} failed, ${count("skipped")} skipped`,
    unfinished > 0
      ? "not everything could be removed: fix what is named above and run cleanup again, then `pulumi destroy`"
      : `next: pulumi destroy --stack ${stack}`,
  ];
}
