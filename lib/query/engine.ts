/**
 * A SQL query engine as the rest of the code sees it: run one statement, get its rows. DuckDB implements it offline
 * (lib/query/duckdb.ts), Athena in AWS (lib/aws/athenaQueryEngine.ts); callers (the results command, the dataset
 * query) never know which.
 */
export type QueryValue = string | number | boolean | null;
export type QueryRow = Record<string, QueryValue>;

export interface QueryResult {
  columns: string[];
  rows: QueryRow[];
  /** Bytes the engine read, where it says (Athena bills by them). */
  bytesScanned?: number;
}

/** How a running query is getting on, for a progress line. */
export interface QueryProgress {
  state: string;
  elapsedMs: number;
  bytesScanned?: number;
}

export interface QueryEngine {
  /** Runs one SQL statement; `onProgress` hears of it while it runs (engines that answer at once may never call it). */
  query(sql: string, onProgress?: (progress: QueryProgress) => void): Promise<QueryResult>;
  /**
   * Runs one statement and hands its rows over as they are read, never all at once: for results too large to hold
   * (the dataset split of millions of images).
   */
  rows(sql: string, onProgress?: (progress: QueryProgress) => void): AsyncIterable<QueryRow>;
  close(): Promise<void>;
}

/** A query the engine refused or that failed: the engine's own message, and the SQL it ran. */
export class QueryFailedError extends Error {
  override name = "QueryFailedError";
  constructor(
    message: string,
    readonly sql: string,
  ) {
    super(message);
  }
}
