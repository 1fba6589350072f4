import { THING_NAME } from "./awsNames";
import { DATA_LAKE_PREFIXES } from "./dataLake";
import inferenceErrorSchema from "./inferenceError.schema.json";
import type { InferenceError, InferenceResult } from "./inferenceMessages";
import inferenceResultSchema from "./inferenceResult.schema.json";

/**
 * Where inspection results last: `results/<kind>/day=<YYYY-MM-DD>/device=<thing name>/<file>.json.gz`, gzip-compressed
 * JSON lines, one message a line. `day` is the UTC day of the message's own `timestamp` (when the part was inspected,
 * not when it arrived), `device` its `thingName`. Firehose writes this layout in AWS, the offline run writes it into
 * the local data lake; Athena (Glue tables) and DuckDB (views) read it under the same table names. The columns are
 * derived from the MQTT payload schemas (`inference*.schema.json`), never restated. See docs/contracts.md.
 */
export const RESULT_KINDS = {
  /** Every inspected image: the result message, plus its detections lifted out of `inference_results`. */
  inspections: { folder: "inspections/", table: "results", schema: inferenceResultSchema },
  /** What the detector reported as failing (unreadable image, failed inference, dropped outbox entries). */
  errors: { folder: "errors/", table: "errors", schema: inferenceErrorSchema },
} as const;

export type ResultKind = keyof typeof RESULT_KINDS;

/** The partition columns, in folder order: Hive-style `name=value` folders. */
export const RESULT_PARTITION_KEYS = ["day", "device"] as const;

/** The file extension of every results object. */
export const RESULT_FILE_EXTENSION = ".json.gz";

/**
 * `inference_results` is a tuple ([classes, scores, boxes]) no table type can hold, so the stored line carries its
 * three arrays as columns of their own; the IoT rule's SQL and the offline writer both lift them from this table.
 */
export const LIFTED_DETECTIONS = [
  { column: "classes", index: 0 },
  { column: "scores", index: 1 },
  { column: "boxes", index: 2 },
] as const;

/** The folder of one kind: `results/inspections/`. */
export function resultsPrefix(kind: ResultKind): string {
  return `${DATA_LAKE_PREFIXES.results}${RESULT_KINDS[kind].folder}`;
}

export class ResultsLayoutError extends Error {
  override name = "ResultsLayoutError";
}

/** The partition of one message: `results/inspections/day=2026-11-29/device=line-1/`. */
export function resultsPartitionPrefix(kind: ResultKind, message: { timestamp: string; thingName: string }): string {
  const day = /^\d{4}-\d{2}-\d{2}T/.exec(message.timestamp)?.[0].slice(0, 10);
  if (!day) throw new ResultsLayoutError(`timestamp must be ISO 8601 (got ${JSON.stringify(message.timestamp)})`);
  if (!THING_NAME.test(message.thingName)) {
    throw new ResultsLayoutError(`thingName must be an AWS IoT thing name (got ${JSON.stringify(message.thingName)})`);
  }
  return `${resultsPrefix(kind)}day=${day}/device=${message.thingName}/`;
}

/** One stored line of `results/inspections/`: the message as published, plus its lifted detections. */
export type InspectionRow = InferenceResult & { classes: number[]; scores: number[]; boxes: number[][] };

export function inspectionRow(message: InferenceResult): InspectionRow {
  const lifted = Object.fromEntries(LIFTED_DETECTIONS.map((d) => [d.column, message.inference_results[0][d.index]]));
  return { ...message, ...(lifted as unknown as Pick<InspectionRow, "classes" | "scores" | "boxes">) };
}

/** One stored line of `results/errors/`: the message as published. */
export type ErrorRow = InferenceError;

/** A column's type, independent of the engine that renders it (Glue/Hive or DuckDB). */
export type ColumnType =
  | { kind: "string" | "int" | "bigint" | "double" | "boolean" }
  | { kind: "array"; of: ColumnType }
  | { kind: "struct"; fields: { name: string; type: ColumnType }[] };

export interface TableColumn {
  /** As the payload spells it; Glue lower-cases it, DuckDB and Athena match names case-insensitively. */
  name: string;
  type: ColumnType;
  description?: string;
}

interface JsonSchemaNode {
  type?: string;
  const?: unknown;
  enum?: unknown[];
  items?: JsonSchemaNode | JsonSchemaNode[];
  properties?: Record<string, JsonSchemaNode>;
  description?: string;
}

/** The column type of a JSON Schema node; throws on a form the derivation does not know (so a new field is seen). */
export function columnTypeOf(node: JsonSchemaNode, where: string): ColumnType {
  if (node.const !== undefined) return { kind: typeof node.const === "number" ? "int" : "string" };
  if (node.enum) return { kind: "string" };
  switch (node.type) {
    case "string":
      return { kind: "string" };
    case "integer":
      return { kind: "bigint" };
    case "number":
      return { kind: "double" };
    case "boolean":
      return { kind: "boolean" };
    case "array":
      if (node.items && !Array.isArray(node.items))
        return { kind: "array", of: columnTypeOf(node.items, `${where}[]`) };
      break;
    case "object":
      return {
        kind: "struct",
        fields: Object.entries(node.properties ?? {}).map(([name, child]) => ({
          name,
          type: columnTypeOf(child, `${where}.${name}`),
        })),
      };
  }
  throw new ResultsLayoutError(`${where}: no column type for this JSON Schema form`);
}

/**
 * The data columns of a kind's table, in the payload schema's order: every property becomes a column of its type,
 * except `inference_results`, whose tuple items become the lifted columns.
 */
export function resultColumns(kind: ResultKind): TableColumn[] {
  const schema = RESULT_KINDS[kind].schema as { properties: Record<string, JsonSchemaNode> };
  return Object.entries(schema.properties).flatMap(([name, node]): TableColumn[] => {
    if (name !== "inference_results") {
      return [{ name, type: columnTypeOf(node, name), description: node.description }];
    }
    const tuple = (node.items as JsonSchemaNode).items as JsonSchemaNode[];
    return LIFTED_DETECTIONS.map((d) => ({
      name: d.column,
      type: columnTypeOf(tuple[d.index], `${name}[0][${d.index}]`),
      description: tuple[d.index].description,
    }));
  });
}

/** A column type as Glue (Hive DDL) writes it: `array<struct<decode:double>>`. */
export function hiveType(type: ColumnType): string {
  if (type.kind === "array") return `array<${hiveType(type.of)}>`;
  if (type.kind === "struct") return `struct<${type.fields.map((f) => `${f.name}:${hiveType(f.type)}`).join(",")}>`;
  return type.kind;
}

/** A column type as DuckDB writes it: `STRUCT("decode" DOUBLE)[]`. */
export function duckDbType(type: ColumnType): string {
  if (type.kind === "array") return `${duckDbType(type.of)}[]`;
  if (type.kind === "struct")
    return `STRUCT(${type.fields.map((f) => `"${f.name}" ${duckDbType(f.type)}`).join(", ")})`;
  return { string: "VARCHAR", int: "INTEGER", bigint: "BIGINT", double: "DOUBLE", boolean: "BOOLEAN" }[type.kind];
}

/**
 * Where Athena writes the result files of queries (the workgroup's output location): under `tmp/`, so the lifecycle
 * rule expires them, and `pipeline cleanup` removes what is left.
 */
export const QUERY_RESULTS_PREFIX = `${DATA_LAKE_PREFIXES.tmp}query-results/`;

/**
 * The stack's results catalog in AWS: the Glue database (letters, digits and underscores only, like IoT rule names)
 * and the Athena workgroup. The results component creates them; the operator's policy is scoped to them.
 */
export function resultsCatalogNames(namePrefix: string): { database: string; workgroup: string } {
  return { database: `${namePrefix.replace(/-/g, "_")}_results`, workgroup: `${namePrefix}-results` };
}
