import { RESULT_KINDS } from "../../contracts/resultsLayout";

/**
 * The questions asked of the results, as SQL text that runs unchanged on Athena (Trino) and on DuckDB: the stack ships
 * them as Athena named queries, `pipeline results` runs them in AWS or offline. They read the table `results`
 * (`errors` for the edge's errors): a Glue table in AWS, a view of the same name in DuckDB. Everything here is
 * common to both dialects: 1-based `substr`, `count(DISTINCT …)`, `regexp_extract`, `date_diff`, `GROUP BY 1`;
 * `cardinality` and `from_iso8601_timestamp` are Trino's, given to DuckDB as macros (lib/query/duckdb.ts).
 *
 * Delivery is at least once, so every count is of distinct `messageId`s.
 */

export const RESULTS_TABLE = RESULT_KINDS.inspections.table;
export const ERRORS_TABLE = RESULT_KINDS.errors.table;

/** Which results a query reads: since a moment, or the last whole days (a named query cannot know "now" in advance). */
export type ResultsWindow = { since: Date } | { lastDays: number };

export interface QueryParams {
  window: ResultsWindow;
  /** A device is silent when its last result is older than this. */
  silentMinutes: number;
  /** A regular expression with one group: the production line of a thing name (`^(line-[0-9]+)`). */
  linePattern: string;
  /** Rows of the uncertain-images list. */
  limit: number;
}

export const NAMED_QUERY_NAMES = [
  "defectRateByDeviceHour",
  "defectRateByModelVersion",
  "defectRateByLine",
  "mostUncertainImages",
  "silentDevices",
] as const;
export type NamedQueryName = (typeof NAMED_QUERY_NAMES)[number];

export interface NamedQuery {
  /** Also the Athena named query's name, after the stack's prefix. */
  slug: string;
  description: string;
  sql(params: QueryParams): string;
}

/** A SQL string literal. */
export function sqlString(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** The partition and time filter of a window: `day` first, so Athena reads only the days it needs. */
export function windowFilter(window: ResultsWindow): string {
  if ("since" in window) {
    const iso = window.since.toISOString();
    return `day >= ${sqlString(iso.slice(0, 10))} AND "timestamp" >= ${sqlString(iso)}`;
  }
  const days = Math.trunc(window.lastDays);
  return `day >= substr(CAST(current_date - INTERVAL '${days}' DAY AS varchar), 1, 10)`;
}

const FAILED = "CASE WHEN cardinality(classes) > 0 THEN messageid END";

/** Inspections, failed parts and their ratio, for the groups before them in the select list. */
const RATE_COLUMNS = [
  "count(DISTINCT messageid) AS inspections",
  `count(DISTINCT ${FAILED}) AS failed`,
  `round(CAST(count(DISTINCT ${FAILED}) AS double) / count(DISTINCT messageid), 4) AS defect_rate`,
].join(", ");

function defectRateBy(groups: string[], params: QueryParams): string {
  const ordinals = groups.map((_, i) => i + 1).join(", ");
  return (
    `SELECT ${groups.join(", ")}, ${RATE_COLUMNS} FROM ${RESULTS_TABLE} ` +
    `WHERE ${windowFilter(params.window)} GROUP BY ${ordinals} ORDER BY ${ordinals}`
  );
}

/** The line of a device, by the configured pattern; devices it does not match are `unassigned`. */
function lineOf(linePattern: string): string {
  // Trino answers NULL when the pattern does not match, DuckDB an empty string: both become `unassigned`.
  return `coalesce(nullif(regexp_extract(device, ${sqlString(linePattern)}, 1), ''), 'unassigned')`;
}

export const NAMED_QUERIES: Record<NamedQueryName, NamedQuery> = {
  defectRateByDeviceHour: {
    slug: "defect-rate-by-device-hour",
    description: "Inspections, failed parts and defect rate per device and hour (UTC)",
    sql: (p) => defectRateBy(["device", `substr("timestamp", 1, 13) || ':00Z' AS hour`], p),
  },
  defectRateByModelVersion: {
    slug: "defect-rate-by-model-version",
    description: "Inspections, failed parts and defect rate per model name and version",
    sql: (p) => defectRateBy(["modelname AS model_name", "modelversion AS model_version"], p),
  },
  defectRateByLine: {
    slug: "defect-rate-by-line",
    description: "Inspections, failed parts and defect rate per production line (from the device name)",
    sql: (p) => defectRateBy([`${lineOf(p.linePattern)} AS line`], p),
  },
  mostUncertainImages: {
    slug: "most-uncertain-images",
    description: "Images whose best detection had the lowest score: what the model found hardest",
    sql: (p) =>
      `SELECT DISTINCT messageid AS message_id, device, "timestamp", image_name, modelversion AS model_version, ` +
      `scores[1] AS top_score FROM ${RESULTS_TABLE} WHERE ${windowFilter(p.window)} AND cardinality(scores) > 0 ` +
      `ORDER BY top_score, message_id LIMIT ${Math.trunc(p.limit)}`,
  },
  silentDevices: {
    slug: "silent-devices",
    description: "Devices whose last result is older than the configured minutes (among those seen in the window)",
    sql: (p) =>
      `SELECT device, max("timestamp") AS last_seen, ` +
      `date_diff('minute', max(from_iso8601_timestamp("timestamp")), current_timestamp) AS minutes_silent ` +
      `FROM ${RESULTS_TABLE} WHERE ${windowFilter(p.window)} GROUP BY 1 ` +
      `HAVING max(from_iso8601_timestamp("timestamp")) < current_timestamp - INTERVAL '${Math.trunc(p.silentMinutes)}' MINUTE ` +
      `ORDER BY 1`,
  },
};
