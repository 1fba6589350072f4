import { existsSync, readdirSync } from "node:fs";
import * as path from "node:path";
import {
  duckDbType,
  RESULT_FILE_EXTENSION,
  RESULT_KINDS,
  RESULT_PARTITION_KEYS,
  resultColumns,
  ResultKind,
  resultsPrefix,
} from "../../contracts/resultsLayout";
import { DuckDbQueryEngine } from "../query/duckdb";
import { sqlString } from "./queries";

function hasResultFiles(folder: string): boolean {
  if (!existsSync(folder)) return false;
  return readdirSync(folder, { recursive: true }).some((name) => String(name).endsWith(RESULT_FILE_EXTENSION));
}

/**
 * The view that makes `SELECT … FROM results` read a local data lake's `results/` as Athena reads the Glue table: the
 * same columns (from the payload schema), the partition folders as `day` and `device` (text, as in Glue). With no
 * files yet it is an empty view of the same columns, so every query still runs.
 */
export function resultsViewSql(lakeRoot: string, kind: ResultKind): string {
  const columns = resultColumns(kind);
  const table = RESULT_KINDS[kind].table;
  const folder = path.join(lakeRoot, ...resultsPrefix(kind).split("/").filter(Boolean));
  if (!hasResultFiles(folder)) {
    const empty = [
      ...columns.map((c) => `CAST(NULL AS ${duckDbType(c.type)}) AS "${c.name}"`),
      ...RESULT_PARTITION_KEYS.map((key) => `CAST(NULL AS VARCHAR) AS ${key}`),
    ];
    return `CREATE VIEW ${table} AS SELECT ${empty.join(", ")} WHERE false`;
  }
  const columnTypes = columns.map((c) => `${sqlString(c.name)}: ${sqlString(duckDbType(c.type))}`).join(", ");
  const hiveTypes = RESULT_PARTITION_KEYS.map((key) => `${sqlString(key)}: 'VARCHAR'`).join(", ");
  const files = path.join(folder, "**", `*${RESULT_FILE_EXTENSION}`);
  return (
    `CREATE VIEW ${table} AS SELECT * FROM read_json(${sqlString(files)}, format = 'newline_delimited', ` +
    `hive_partitioning = true, hive_types = {${hiveTypes}}, columns = {${columnTypes}})`
  );
}

/** The folder that stands in for the data lake bucket under an offline run's state folder (`--state-dir`). */
export function localLakeRoot(stateDir: string): string {
  return path.join(stateDir, "bucket");
}

/** DuckDB with `results` and `errors` over the local data lake folder (the offline run's `--state-dir` lake). */
export function openResultsEngine(lakeRoot: string): Promise<DuckDbQueryEngine> {
  return DuckDbQueryEngine.open((Object.keys(RESULT_KINDS) as ResultKind[]).map((k) => resultsViewSql(lakeRoot, k)));
}
