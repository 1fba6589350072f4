import type { Catcher, Retrier, StateMachineDefinition } from "../../stateMachines/asl";
import type { LocalEventLogEntry } from "../../stateMachines/progress";

/**
 * What the run tests reach of the state machine: every run of the harness records its definition and its events, and
 * `unreached()` names each state never entered and each Retry or Catch clause never fired. A definition variant (the
 * stack config changes which states exist, e.g. VerifyLabels) is told apart by its state names; a state counts as
 * reached when any run of a variant that has it entered it, so a stage another change adds shows up as unreached
 * until a run test goes through it.
 */

interface RecordedRun {
  definition: StateMachineDefinition;
  events: readonly LocalEventLogEntry[];
}

const runs: RecordedRun[] = [];

export function recordRun(definition: StateMachineDefinition, events: readonly LocalEventLogEntry[]): void {
  runs.push({ definition, events });
}

export const recordedRuns = (): readonly RecordedRun[] => runs;

type Clause = Retrier | Catcher;
const clauseName = (state: string, kind: "Retry" | "Catch", index: number, clause: Clause) =>
  `${state}.${kind}[${index}] (${clause.ErrorEquals.join(", ")})`;
const sameClause = (a: Clause, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Every state and Retry/Catch clause of every recorded definition, and the ones the recorded runs reached. */
export function unreached(recorded: readonly RecordedRun[] = runs): string[] {
  const all = new Set<string>();
  const reached = new Set<string>();
  for (const { definition, events } of recorded) {
    for (const [name, state] of Object.entries(definition.States)) {
      all.add(`state ${name}`);
      if ("Retry" in state) state.Retry?.forEach((r, i) => all.add(clauseName(name, "Retry", i, r)));
      if ("Catch" in state) state.Catch?.forEach((c, i) => all.add(clauseName(name, "Catch", i, c)));
    }
    for (const event of events) {
      const name = event.state?.name;
      const state = name === undefined ? undefined : definition.States[name];
      if (!name || !state) continue;
      if (event.type === "StateEntered") reached.add(`state ${name}`);
      const fired = event as { retry?: { retrier: unknown }; catch?: { catcher: unknown } };
      if (event.type === "StateRetried" && "Retry" in state) {
        const index = state.Retry?.findIndex((r) => sameClause(r, fired.retry?.retrier)) ?? -1;
        if (index >= 0) reached.add(clauseName(name, "Retry", index, state.Retry![index]));
      }
      if (event.type === "StateCaught" && "Catch" in state) {
        const index = state.Catch?.findIndex((c) => sameClause(c, fired.catch?.catcher)) ?? -1;
        if (index >= 0) reached.add(clauseName(name, "Catch", index, state.Catch![index]));
      }
    }
  }
  return [...all].filter((item) => !reached.has(item)).sort();
}
