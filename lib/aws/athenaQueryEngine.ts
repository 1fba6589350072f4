import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  GetQueryResultsCommandOutput,
  StartQueryExecutionCommand,
} from "@aws-sdk/client-athena";
import { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { csvRows, MalformedCsvError } from "../query/csvRows";
import { QueryEngine, QueryFailedError, QueryProgress, QueryResult, QueryRow, QueryValue } from "../query/engine";

export interface AthenaTarget {
  /** The workgroup: its settings (output location, encryption, scan limit) apply to every query. */
  workgroup: string;
  database: string;
}

const NUMERIC = new Set(["tinyint", "smallint", "integer", "bigint", "double", "float", "real", "decimal"]);

function valueOf(text: string | null | undefined, type: string | undefined): QueryValue {
  if (text === undefined || text === null) return null;
  if (NUMERIC.has((type ?? "").toLowerCase())) return Number(text);
  if (type === "boolean") return text === "true";
  return text;
}

/** One row keyed by column name, typed by the column types (Athena hands every value over as text). */
function typedRow(columns: string[], types: (string | undefined)[], cells: (string | null | undefined)[]): QueryRow {
  return Object.fromEntries(columns.map((c, i) => [c, valueOf(cells[i], types[i])]));
}

/** `s3://bucket/key` as its bucket and key; undefined for anything else. */
function s3Object(uri: string): { Bucket: string; Key: string } | undefined {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  return match ? { Bucket: match[1], Key: match[2] } : undefined;
}

/**
 * The query engine in AWS: starts the query in the stack's workgroup, polls it (reporting its state and the bytes
 * scanned so far), then reads every page of its results. Athena returns text; numbers and booleans are typed back
 * from the result's column types. `rows()` streams a large result from the CSV file Athena writes (`s3` reads it).
 */
export class AthenaQueryEngine implements QueryEngine {
  constructor(
    private readonly client: Pick<AthenaClient, "send">,
    private readonly target: AthenaTarget,
    private readonly options: {
      pollMs?: number;
      sleep?: (ms: number) => Promise<void>;
      now?: () => number;
      /** Reads the result file for `rows()`; without it `rows()` pages GetQueryResults instead. */
      s3?: Pick<S3Client, "send">;
    } = {},
  ) {}

  async query(sql: string, onProgress?: (progress: QueryProgress) => void): Promise<QueryResult> {
    const { id, bytesScanned } = await this.run(sql, onProgress);
    let columns: string[] = [];
    const rows: QueryRow[] = [];
    for await (const page of this.pages(id)) {
      columns = page.columns;
      rows.push(...page.rows);
    }
    return { columns, rows, bytesScanned };
  }

  /**
   * The rows of a result of any size, read as a stream from the CSV file Athena wrote: GetQueryResults hands over
   * 1,000 rows a call, one call at a time, far too slow for millions. Without an S3 client (the CLI's engines, which
   * only call `query()`) it falls back to paging.
   */
  async *rows(sql: string, onProgress?: (progress: QueryProgress) => void): AsyncIterable<QueryRow> {
    const { id, outputLocation } = await this.run(sql, onProgress);
    const s3 = this.options.s3;
    if (s3 === undefined) {
      for await (const page of this.pages(id)) yield* page.rows;
      return;
    }
    yield* this.resultFile(s3, id, outputLocation, sql);
  }

  /** The rows of the result file at `location`, typed; anything wrong with the file is a `QueryFailedError`. */
  private async *resultFile(
    s3: Pick<S3Client, "send">,
    id: string,
    location: string | undefined,
    sql: string,
  ): AsyncIterable<QueryRow> {
    const fail = (what: string) => new QueryFailedError(`Athena query ${id}: ${what}`, sql);
    const object = s3Object(location ?? "");
    if (location === undefined) throw fail("Athena gave no result location (OutputLocation)");
    if (object === undefined) throw fail(`the result location ${location} is not an s3://bucket/key URI`);
    // The column types come from ONE GetQueryResults call for one row (its ResultSetMetadata); the file's header
    // must name the same columns in the same order.
    const { columns, types } = await this.columns(id);
    let body: unknown;
    try {
      body = (await s3.send(new GetObjectCommand(object))).Body;
    } catch (error) {
      throw fail(`cannot read the result file ${location}: ${(error as Error).name}: ${(error as Error).message}`);
    }
    if (body === undefined || body === null || !(Symbol.asyncIterator in (body as object))) {
      throw fail(`the result file ${location} has no readable body`);
    }
    let header: (string | null)[] | undefined;
    try {
      for await (const cells of csvRows(body as AsyncIterable<Uint8Array>)) {
        if (header !== undefined) {
          yield typedRow(columns, types, cells);
          continue;
        }
        header = cells;
        if (header.length !== columns.length || header.some((name, i) => name !== columns[i])) {
          throw fail(`the result file ${location} has the header (${header.join(", ")}), not (${columns.join(", ")})`);
        }
      }
    } catch (error) {
      if (error instanceof MalformedCsvError) throw fail(`the result file ${location} is malformed: ${error.message}`);
      throw error;
    }
    if (header === undefined) throw fail(`the result file ${location} is empty: it has no header row`);
  }

  /** The result's column names and types, from one GetQueryResults call for a single row. */
  private async columns(id: string) {
    const page = await this.client.send(new GetQueryResultsCommand({ QueryExecutionId: id, MaxResults: 1 }));
    const info = page.ResultSet?.ResultSetMetadata?.ColumnInfo ?? [];
    return { columns: info.map((c) => c.Name ?? ""), types: info.map((c) => c.Type) };
  }

  /** Starts the query and waits for it to succeed; throws `QueryFailedError` when it fails or is cancelled. */
  private async run(sql: string, onProgress?: (progress: QueryProgress) => void) {
    const now = this.options.now ?? Date.now;
    const sleep = this.options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
    const started = now();
    const { QueryExecutionId: id } = await this.client.send(
      new StartQueryExecutionCommand({
        QueryString: sql,
        WorkGroup: this.target.workgroup,
        QueryExecutionContext: { Database: this.target.database },
      }),
    );
    for (;;) {
      const { QueryExecution: execution } = await this.client.send(
        new GetQueryExecutionCommand({ QueryExecutionId: id }),
      );
      const state = execution?.Status?.State ?? "QUEUED";
      const bytesScanned = execution?.Statistics?.DataScannedInBytes;
      onProgress?.({ state, elapsedMs: now() - started, bytesScanned });
      if (state === "SUCCEEDED") {
        return { id: id!, bytesScanned, outputLocation: execution?.ResultConfiguration?.OutputLocation };
      }
      if (state === "FAILED" || state === "CANCELLED") {
        const reason = execution?.Status?.StateChangeReason ?? execution?.Status?.AthenaError?.ErrorMessage;
        throw new QueryFailedError(`Athena query ${id} ${state.toLowerCase()}: ${reason ?? "no reason given"}`, sql);
      }
      await sleep(this.options.pollMs ?? 1000);
    }
  }

  /** The result page by page (up to 1,000 rows each), typed by the result's column types. */
  private async *pages(id: string): AsyncIterable<{ columns: string[]; rows: QueryRow[] }> {
    let columns: string[] = [];
    let types: (string | undefined)[] = [];
    let token: string | undefined;
    let first = true;
    do {
      const page: GetQueryResultsCommandOutput = await this.client.send(
        new GetQueryResultsCommand({ QueryExecutionId: id, NextToken: token }),
      );
      if (first) {
        const info = page.ResultSet?.ResultSetMetadata?.ColumnInfo ?? [];
        columns = info.map((c) => c.Name ?? "");
        types = info.map((c) => c.Type);
      }
      // The first row of the first page repeats the column names.
      const data = (page.ResultSet?.Rows ?? []).slice(first ? 1 : 0);
      const rows = data.map((row) =>
        typedRow(
          columns,
          types,
          (row.Data ?? []).map((d) => d.VarCharValue),
        ),
      );
      yield { columns, rows };
      first = false;
      token = page.NextToken;
    } while (token);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
