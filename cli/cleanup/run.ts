import { EXIT, UsageError } from "../errors";
import { CleanupIo, discover } from "./discovery";
import { describeResult, ItemResult } from "./items";
import { Confirm, confirmRemoval } from "./prompt";
import { removeAll } from "./removal";
import { CleanupOptions, cleanupDocument, countOf, keptNotes, outcomeLines, planLines } from "./report";
import type { StackTargets } from "./targets";

// `pipeline cleanup`: finds what a stack's pipeline created at run time, by the stack's own names (and tags), and
// removes it in an order that leaves nothing half-used.

export interface CleanupUi {
  /** The plan, the outcome and the JSON document: stdout. */
  print: (line: string) => void;
  /** Progress as it happens: stdout, or stderr under --json so that stdout stays one document. */
  progress: (line: string) => void;
  /** Asks on a terminal; absent when there is none to ask on. */
  confirm?: Confirm;
}

/** Deleting the data lake needs the stack's consent (its config) and the user's (--yes, never a prompt). */
function checkDeleteData(targets: StackTargets, options: CleanupOptions): void {
  const { stack } = targets;
  if (options.deleteData && !targets.allowDeleteData) {
    throw new UsageError(
      `--delete-data: stack ${stack} keeps its data (qualityinspection:dataLake.allowDeleteData is false in Pulumi.${stack}.yaml)`,
    );
  }
  if (options.deleteData && !options.yes && !options.dryRun) {
    throw new UsageError(
      "--delete-data deletes every object of the data lake and is never confirmed by a prompt: add --yes",
    );
  }
}

/** Lists the stack's run-time resources, asks (or takes --yes), removes them in order; returns the exit code. */
export async function runCleanup(
  targets: StackTargets,
  io: Omit<CleanupIo, "progress">,
  options: CleanupOptions,
  ui: CleanupUi,
): Promise<number> {
  checkDeleteData(targets, options);
  const fullIo: CleanupIo = { ...io, progress: ui.progress };
  const found = await discover(targets, fullIo, { deleteData: options.deleteData });
  const kept = keptNotes(targets, options);
  if (!options.json) for (const line of planLines(targets, found, kept)) ui.print(line);
  const document = (results?: ItemResult[]) => cleanupDocument(targets, options, found, kept, results);

  if (options.dryRun || found.items.length === 0) {
    if (options.json) ui.print(document());
    else if (options.dryRun) ui.print("dry run: nothing was changed");
    return found.problems.length === 0 ? EXIT.ok : EXIT.failed;
  }
  if (!options.yes && !(await confirmRemoval(ui.confirm, targets.stack, found.items.length))) {
    ui.progress("not confirmed: nothing was changed");
    if (options.json) ui.print(document());
    return EXIT.failed;
  }

  const total = found.items.length;
  const results = await removeAll(found.items, fullIo, (result, index) =>
    ui.progress(`[${index + 1}/${total}] ${describeResult(result)}`),
  );
  const unfinished = countOf(results, "failed") + countOf(results, "skipped") + found.problems.length;
  if (options.json) ui.print(document(results));
  else for (const line of outcomeLines(targets.stack, results, unfinished)) ui.print(line);
  return unfinished > 0 ? EXIT.failed : EXIT.ok;
}
