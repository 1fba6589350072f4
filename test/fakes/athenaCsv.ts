import type { CsvRecord } from "../../lib/query/csvRows";

/**
 * A result file as Athena writes it: every non-null value double-quoted with its quotes doubled, a NULL an empty
 * unquoted field, one record a line (the header first, when the caller passes it).
 */
export function athenaCsv(records: CsvRecord[], newline = "\n"): string {
  const cell = (value: string | null) => (value === null ? "" : `"${value.replace(/"/g, '""')}"`);
  return records.map((record) => record.map(cell).join(",") + newline).join("");
}
