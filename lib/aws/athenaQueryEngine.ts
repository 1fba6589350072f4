import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  GetQueryResultsCommandOutput,
  StartQueryExecutionCommand,
} from "@aws-sdk/client-athena";
import { QueryEngine, QueryFailedError, QueryProgress, QueryResult, QueryRow, QueryValue } from "../query/engine";

export interface AthenaTarget {
  /** The workgroup: its settings (output location, encryption, scan limit) apply to every query. */
  workgroup: string;
  database: string;
}

const NUMERIC = new Set(["tinyint", "smallint", "integer", "bigint", "double", "float", "real", "decimal"]);

function valueOf(text: string | undefined, type: string | undefined): QueryValue {
  if (text === undefined) return null;
  if (NUMERIC.has((type ?? "").toLowerCase())) return Number(text);
  if (type === "boolean") return text === "true";
  return text;
}

/**
 * The query engine in AWS: starts the query in the stack's workgroup, polls it (reporting its state and the bytes
 * scanned so far), then reads every page of its results. Athena returns text; numbers and booleans are typed back
 * from the result's column types.
 */
export class AthenaQueryEngine implements QueryEngine {
  constructor(
    private readonly client: Pick<AthenaClient, "send">,
    private readonly target: AthenaTarget,
    private readonly options: { pollMs?: number; sleep?: (ms: number) => Promise<void>; now?: () => number } = {},
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

  async *rows(sql: string, onProgress?: (progress: QueryProgress) => void): AsyncIterable<QueryRow> {
    const { id } = await this.run(sql, onProgress);
    for await (const page of this.pages(id)) yield* page.rows;
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
      if (state === "SUCCEEDED") return { id: id!, bytesScanned };
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
      const rows = data.map((row) => {
        const cells = row.Data ?? [];
        return Object.fromEntries(columns.map((c, i) => [c, valueOf(cells[i]?.VarCharValue, types[i])]));
      });
      yield { columns, rows };
      first = false;
      token = page.NextToken;
    } while (token);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
