import { SplitFractions } from "../../contracts/dataset";
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

/**
 * `splitOf` in SQL, on Athena (Trino) and DuckDB alike: the first 8 hex digits of sha256("split:" + id) as an integer,
 * compared with the fractions times 2^32. Multiplying by a power of two is exact in doubles, so `x < f × 2^32` holds
 * exactly when `splitOf`'s `x / 2^32 < f` does: both sides put every image in the same split.
 */
export function splitSql(idColumn: string, fractions: SplitFractions): string {
  const bucket = `from_base(substr(lower(to_hex(sha256(to_utf8('split:' || ${idColumn})))), 1, 8), 16)`;
  const train = fractions.train * 2 ** 32;
  const validation = (fractions.train + fractions.validation) * 2 ** 32;
  return `CASE WHEN ${bucket} < ${train} THEN 'train' WHEN ${bucket} < ${validation} THEN 'validation' ELSE 'test' END`;
}

/** The approved current records with each image's split: the dataset build of a lake too large for one Lambda. */
export function datasetSplitQuery(table: string, fractions: SplitFractions): string {
  return (
    `SELECT ${Object.keys(LABEL_FEATURES).join(", ")}, ${splitSql("image_id", fractions)} AS split ` +
    `FROM (${latest(table)}) WHERE status = 'APPROVED' ORDER BY image_id`
  );
}

/** The label features as DuckDB column types. */
export function labelColumnsDuckDb(): Record<string, string> {
  const types = { String: "VARCHAR", Integral: "BIGINT", Fractional: "DOUBLE" } as const;
  return Object.fromEntries(Object.entries(LABEL_FEATURES).map(([name, f]) => [name, types[f.type]]));
}
