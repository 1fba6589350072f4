import { existsSync } from "node:fs";
import * as path from "node:path";
import { DuckDbQueryEngine } from "../query/duckdb";
import type { QueryEngine } from "../query/engine";
import { sqlString } from "../results/queries";
import { labelColumnsDuckDb } from "./queries";

/** The DuckDB view standing in for the feature group's offline store table. */
export const LOCAL_LABELS_TABLE = "labels";

/** The offline run's label store: one JSON line per put, under its state folder (`--state-dir`). */
export function localLabelStoreFile(stateDir: string, namePrefix: string): string {
  return path.join(stateDir, "label-store", `${namePrefix}-labels.jsonl`);
}

/** DuckDB with the view `labels` over a label store file (an empty view while there is none). */
export function openLabelsEngine(file: string): Promise<DuckDbQueryEngine> {
  const columns = labelColumnsDuckDb();
  const view = existsSync(file)
    ? `SELECT * FROM read_json(${sqlString(file)}, format = 'newline_delimited', ignore_errors = true, columns = {` +
      `${Object.entries(columns)
        .map(([name, type]) => `${sqlString(name)}: ${sqlString(type)}`)
        .join(", ")}})`
    : `SELECT ${Object.entries(columns)
        .map(([name, type]) => `CAST(NULL AS ${type}) AS ${name}`)
        .join(", ")} WHERE false`;
  return DuckDbQueryEngine.open([`CREATE VIEW ${LOCAL_LABELS_TABLE} AS ${view}`]);
}

/** The label store file's history as a query engine and its table: what Athena over the offline store is in AWS. */
export async function labelsEngine(file: string): Promise<{ engine: QueryEngine; table: string }> {
  return { engine: await openLabelsEngine(file), table: LOCAL_LABELS_TABLE };
}
