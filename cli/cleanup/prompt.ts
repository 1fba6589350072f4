import { UsageError } from "../errors";

/** Asks on a terminal; absent when there is none to ask on. */
export type Confirm = (question: string) => Promise<string>;

/**
 * Whether the person at the terminal agreed to remove the `count` listed resources, by typing the stack's name.
 * Without a terminal to ask on (and without --yes) it is a usage error: cleanup never deletes unasked.
 */
export async function confirmRemoval(confirm: Confirm | undefined, stack: string, count: number): Promise<boolean> {
  if (!confirm) {
    throw new UsageError(
      `cleanup deletes the ${count} resources listed above: pass --yes to go ahead (or --dry-run to only list them)`,
    );
  }
  const answer = await confirm(`Type the stack name (${stack}) to delete them: `);
  return answer.trim() === stack;
}
