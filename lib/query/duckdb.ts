import { DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { QueryEngine, QueryFailedError, QueryResult, QueryRow, QueryValue } from "./engine";

/**
 * Functions Athena (Trino) has and DuckDB spells otherwise, defined as DuckDB macros so the same SQL text runs on
 * both. Only what the shared queries use; a query needing another function adds it here.
 */
const TRINO_MACROS = [
  "CREATE MACRO cardinality(list) AS len(list)",
  "CREATE MACRO from_iso8601_timestamp(text) AS CAST(text AS TIMESTAMPTZ)",
  // The split hash: Trino's sha256 takes bytes and returns bytes, DuckDB's takes text and returns lowercase hex, so
  // `to_hex(sha256(to_utf8(x)))` is the identity around DuckDB's sha256. Only sha256's result goes through to_hex.
  "CREATE MACRO to_utf8(text) AS text",
  "CREATE MACRO to_hex(text) AS text",
  "CREATE MACRO from_base(text, radix) AS CAST('0x' || text AS UBIGINT)",
];

function plain(value: unknown): QueryValue {
  if (value === null || value === undefined) return null;
  if (typeof value === "bigint") return Number(value);
  if (typeof value === "number" || typeof value === "string" || typeof value === "boolean") return value;
  return String(value);
}

/** DuckDB in this process, in memory; `setup` statements (views over files) run once when it opens. */
export class DuckDbQueryEngine implements QueryEngine {
  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
  ) {}

  static async open(setup: string[] = []): Promise<DuckDbQueryEngine> {
    const instance = await DuckDBInstance.create(":memory:");
    const connection = await instance.connect();
    for (const sql of [...TRINO_MACROS, ...setup]) {
      try {
        await connection.run(sql);
      } catch (error) {
        connection.closeSync();
        throw new QueryFailedError((error as Error).message, sql);
      }
    }
    return new DuckDbQueryEngine(instance, connection);
  }

  async query(sql: string): Promise<QueryResult> {
    let reader;
    try {
      reader = await this.connection.runAndReadAll(sql);
    } catch (error) {
      throw new QueryFailedError((error as Error).message, sql);
    }
    const columns = reader.columnNames();
    const rows = reader
      .getRowObjectsJS()
      .map((row) => Object.fromEntries(columns.map((column) => [column, plain(row[column])])));
    return { columns, rows };
  }

  async *rows(sql: string): AsyncIterable<QueryRow> {
    let result;
    try {
      result = await this.connection.stream(sql);
    } catch (error) {
      throw new QueryFailedError((error as Error).message, sql);
    }
    // DuckDB hands over one chunk (2,048 rows) at a time.
    for await (const chunk of result.yieldRowObjectJs()) {
      for (const row of chunk) yield Object.fromEntries(Object.entries(row).map(([k, v]) => [k, plain(v)]));
    }
  }

  close(): Promise<void> {
    this.connection.closeSync();
    this.instance.closeSync();
    return Promise.resolve();
  }
}
