import { labelColumnsDuckDb } from "../../lib/labels/queries";
import { DuckDbQueryEngine } from "../../lib/query/duckdb";
import type { QueryEngine, QueryRow } from "../../lib/query/engine";
import { labelFor } from "../../test/harness/labels";
import type { Meter } from "./meter";
import { OFFLINE_BYTES_PER_RECORD } from "./prices";
import type { SyntheticLake } from "./syntheticLake";

/** The name of the synthetic offline store's table in DuckDB. */
export const OFFLINE_TABLE = "offline_store";

/**
 * The label store's history as the engine sees it minutes after this run's labeling: every older image's label, none
 * of the new ones yet. Generated inside DuckDB (the same records `labelFor` makes, keyed as the lake's images), so a
 * million rows take a second, not a 300 MB file.
 */
export function offlineStore(lake: SyntheticLake): Promise<DuckDbQueryEngine> {
  const sample = labelFor("x");
  const columns = labelColumnsDuckDb();
  const values: Record<string, string> = {
    image_id: "substr(sha256(k), 1, 32)",
    source_ref: `'s3://${lake.bucket}/' || k`,
    event_time: String(sample.event_time),
    image_width: String(sample.image_width),
    image_height: String(sample.image_height),
    image_depth: String(sample.image_depth),
    annotations: `'${sample.annotations}'`,
    labeling_job: `'${sample.labeling_job}'`,
    status: `'${sample.status}'`,
  };
  const select = Object.entries(columns).map(([name, type]) => `CAST(${values[name]} AS ${type}) AS ${name}`);
  const keys = `SELECT 'images/line-1/' || lpad(CAST(range AS VARCHAR), 9, '0') || '.jpg' AS k FROM range(${lake.stored - lake.fresh})`;
  return DuckDbQueryEngine.open([`CREATE TABLE ${OFFLINE_TABLE} AS SELECT ${select.join(", ")} FROM (${keys})`]);
}

/**
 * DuckDB standing in for Athena, charged as Athena: the query scans the offline store's Parquet (bytes per record
 * assumed in prices.ts) and waits its latency, and the handler then reads the result file from S3 (a GetObject of the
 * CSV's bytes). The time DuckDB itself spends is counted in `engineSeconds`, for the caller to take out of the
 * measured compute.
 */
export class AthenaLikeEngine implements QueryEngine {
  engineSeconds = 0;

  constructor(
    private readonly engine: QueryEngine,
    private readonly meter: Meter,
    private readonly storedRecords: number,
  ) {}

  query(): never {
    throw new Error("the scale bench models rows() only");
  }

  async *rows(sql: string): AsyncIterable<QueryRow> {
    this.meter.query(this.storedRecords * OFFLINE_BYTES_PER_RECORD);
    const rows = this.engine.rows(sql)[Symbol.asyncIterator]();
    let csvBytes = 0;
    for (;;) {
      const started = process.hrtime.bigint();
      const next = await rows.next();
      this.engineSeconds += Number(process.hrtime.bigint() - started) / 1e9;
      if (next.done) break;
      // Athena's CSV: every value quoted, quotes doubled, a comma between values and a newline after each row.
      for (const value of Object.values(next.value)) csvBytes += String(value ?? "").replace(/"/g, '""').length + 3;
      yield next.value;
    }
    this.meter.call("s3:GetObject", { bytes: csvBytes });
  }

  close(): Promise<void> {
    return this.engine.close();
  }
}
