import { LABEL_FEATURES } from "../../contracts/labelRecord";
import { sqlString } from "../results/queries";

/**
 * Questions asked of the label store's history, as SQL that runs on Athena (the feature group's offline store table)
 * and on DuckDB (a view over the offline run's label store file). Every put is a row; an image's label is its row
 * with the latest `event_time`. `table` is the table's name in the engine at hand.
 */

/** Each image's current record. */
function latest(table: string): string {
  return (
    `SELECT * FROM (SELECT *, row_number() OVER (PARTITION BY image_id ORDER BY event_time DESC) AS version_rank ` +
    `FROM ${table}) WHERE version_rank = 1`
  );
}

export const LABEL_QUERIES = {
  /** Images by their current status and the labeling job that gave it. */
  counts: (table: string) =>
    `SELECT labeling_job, status, count(*) AS images FROM (${latest(table)}) GROUP BY 1, 2 ORDER BY 1, 2`,
  /** Every record of one image, oldest first. */
  history: (table: string, imageId: string) =>
    `SELECT event_time, labeling_job, status, annotations, source_ref FROM ${table} ` +
    `WHERE image_id = ${sqlString(imageId)} ORDER BY event_time`,
  /** The current records that are approved: what a model trains on. */
  approved: (table: string) =>
    `SELECT ${Object.keys(LABEL_FEATURES).join(", ")} FROM (${latest(table)}) WHERE status = 'APPROVED' ` +
    `ORDER BY source_ref`,
};

/** The label features as DuckDB column types. */
export function labelColumnsDuckDb(): Record<string, string> {
  const types = { String: "VARCHAR", Integral: "BIGINT", Fractional: "DOUBLE" } as const;
  return Object.fromEntries(Object.entries(LABEL_FEATURES).map(([name, f]) => [name, types[f.type]]));
}
