import { z } from "zod";
import type { QueryProgress, QueryResult } from "../lib/query/engine";
import { NamedQueryName, QueryParams, ResultsWindow } from "../lib/results/queries";
import { UsageError } from "./errors";
import { check } from "./flags";

/** What `results --by` offers: the named queries, by their short names. */
export const RESULT_VIEWS: Record<string, NamedQueryName> = {
  "device-hour": "defectRateByDeviceHour",
  "model-version": "defectRateByModelVersion",
  line: "defectRateByLine",
  uncertain: "mostUncertainImages",
  silent: "silentDevices",
};

const DURATION = /^(\d{1,6})(m|h|d)$/;
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

export const resultsFlags = {
  by: z.enum(Object.keys(RESULT_VIEWS) as [string, ...string[]], {
    error: `--by must be one of ${Object.keys(RESULT_VIEWS).join(", ")}`,
  }),
  since: z
    .string()
    .regex(
      /^(\d{1,6}[mhd]|\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?Z)?)$/,
      "--since must be a duration such as 90m, 24h, 7d, or a UTC time such as 2026-11-29 or 2026-11-29T18:00Z",
    ),
  limit: z.coerce
    .number({ error: "--limit must be a whole number from 1 to 1000" })
    .int("--limit must be a whole number from 1 to 1000")
    .min(1, "--limit must be a whole number from 1 to 1000")
    .max(1000, "--limit must be a whole number from 1 to 1000"),
};

/** `24h` → 24 hours before now; `2026-11-29` or `2026-11-29T18:00Z` → that moment (UTC). */
export function sinceOf(text: string, now: Date): ResultsWindow {
  const value = check(resultsFlags.since, text);
  const duration = DURATION.exec(value);
  if (duration) {
    const ms = Number(duration[1]) * UNIT_MS[duration[2] as keyof typeof UNIT_MS];
    return { since: new Date(now.getTime() - ms) };
  }
  const since = new Date(value.length === 10 ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(since.getTime())) throw new UsageError(`--since names no real time (got ${JSON.stringify(text)})`);
  return { since };
}

export interface ResultsReport {
  engine: "duckdb" | "athena";
  query: NamedQueryName;
  since: string | null;
  params: Omit<QueryParams, "window">;
  columns: string[];
  rows: QueryResult["rows"];
  bytesScanned?: number;
}

/** The rows as an aligned text table: numbers right-aligned, rates as percentages. */
export function formatResults(report: ResultsReport): string[] {
  if (report.rows.length === 0) return [`no results${report.since ? ` since ${report.since}` : ""}`];
  const cell = (column: string, value: unknown) => {
    if (value === null || value === undefined) return "–";
    if (column.endsWith("_rate") && typeof value === "number") return `${(value * 100).toFixed(2)} %`;
    return String(value);
  };
  const table = [report.columns, ...report.rows.map((row) => report.columns.map((c) => cell(c, row[c])))];
  const widths = report.columns.map((_, i) => Math.max(...table.map((row) => row[i].length)));
  const numeric = report.columns.map((c) => report.rows.every((row) => typeof row[c] === "number"));
  return table.map((row) =>
    row
      .map((text, i) => (numeric[i] ? text.padStart(widths[i]) : text.padEnd(widths[i])))
      .join("  ")
      .trimEnd(),
  );
}

/** `athena: RUNNING 3.2 s, 12.0 MB scanned`. */
export function progressLine(progress: QueryProgress): string {
  const mb =
    progress.bytesScanned === undefined ? "" : `, ${(progress.bytesScanned / 1024 / 1024).toFixed(1)} MB scanned`;
  return `athena: ${progress.state} ${(progress.elapsedMs / 1000).toFixed(1)} s${mb}`;
}
