import { DATA_LAKE_PREFIXES } from "../contracts/dataLake";
import { errorTopicOf } from "../contracts/inferenceMessages";
import {
  hiveType,
  LIFTED_DETECTIONS,
  RESULT_FILE_EXTENSION,
  RESULT_PARTITION_KEYS,
  resultColumns,
  ResultKind,
  resultsPrefix,
} from "../contracts/resultsLayout";

/**
 * How the results layout (contracts/resultsLayout.ts) is written and read in AWS, as pure functions: the IoT rule's SQL,
 * Firehose's dynamic partitioning, the Glue table. The component (components/inspectionResults.ts) only wires them.
 */

/** The MQTT topic each kind arrives on. */
export function topicOf(kind: ResultKind, resultTopic: string): string {
  return kind === "inspections" ? resultTopic : errorTopicOf(resultTopic);
}

/**
 * The rule's SQL: the message as published, plus (for results) the detections lifted out of `inference_results`.
 * AWS IoT SQL's `get` indexes arrays from 0, as LIFTED_DETECTIONS does.
 */
export function topicRuleSql(kind: ResultKind, resultTopic: string): string {
  const lifted =
    kind === "inspections"
      ? LIFTED_DETECTIONS.map((d) => `, get(get(inference_results, 0), ${d.index}) AS ${d.column}`).join("")
      : "";
  return `SELECT *${lifted} FROM '${topicOf(kind, resultTopic)}'`;
}

/**
 * The partition keys, read from each record by Firehose's JQ: the UTC day of the message's `timestamp` and its
 * `thingName` (one key per RESULT_PARTITION_KEYS entry, in order).
 */
export const PARTITION_KEY_QUERY = "{day: .timestamp[0:10], device: .thingName}";

/** Firehose's object prefix: `results/inspections/day=!{partitionKeyFromQuery:day}/device=…/`. */
export function deliveryPrefix(kind: ResultKind): string {
  const folders = RESULT_PARTITION_KEYS.map((key) => `${key}=!{partitionKeyFromQuery:${key}}/`).join("");
  return `${resultsPrefix(kind)}${folders}`;
}

/** Where Firehose puts records it could not partition or deliver: by kind, error type and arrival day. */
export function undeliveredPrefix(kind: ResultKind): string {
  return `${DATA_LAKE_PREFIXES.resultsUndelivered}${kind}/!{firehose:error-output-type}/!{timestamp:yyyy-MM-dd}/`;
}

/** Firehose's processors: extract the partition keys with JQ, end every record with a newline (JSON lines). */
export function deliveryProcessors() {
  return [
    {
      type: "MetadataExtraction",
      parameters: [
        { parameterName: "MetadataExtractionQuery", parameterValue: PARTITION_KEY_QUERY },
        { parameterName: "JsonParsingEngine", parameterValue: "JQ-1.6" },
      ],
    },
    { type: "AppendDelimiterToRecord", parameters: [{ parameterName: "Delimiter", parameterValue: "\\n" }] },
  ];
}

export const OBJECT_EXTENSION = RESULT_FILE_EXTENSION;

/** The first day partition projection offers; queries name later days. */
export const FIRST_RESULTS_DAY = "2024-01-01";

/**
 * The Glue table's storage and partition projection: gzip JSON lines read with the OpenX SerDe (a malformed line is
 * skipped, not fatal), `day` projected as dates up to today, `device` as the stack's core devices, so no crawler or
 * `MSCK REPAIR` is ever needed.
 */
export function glueTable(kind: ResultKind, bucketName: string, devices: string[]) {
  const location = `s3://${bucketName}/${resultsPrefix(kind)}`;
  return {
    columns: resultColumns(kind).map((c) => ({
      name: c.name.toLowerCase(),
      type: hiveType(c.type),
      comment: c.description?.slice(0, 255),
    })),
    partitionKeys: RESULT_PARTITION_KEYS.map((name) => ({ name, type: "string" })),
    location,
    parameters: {
      classification: "json",
      compressionType: "gzip",
      "projection.enabled": "true",
      "projection.day.type": "date",
      "projection.day.format": "yyyy-MM-dd",
      "projection.day.range": `${FIRST_RESULTS_DAY},NOW`,
      "projection.day.interval": "1",
      "projection.day.interval.unit": "DAYS",
      "projection.device.type": "enum",
      // A projection needs at least one value; a stack without devices has no results to find.
      "projection.device.values": (devices.length > 0 ? devices : ["none"]).join(","),
      "storage.location.template": `${location}day=\${day}/device=\${device}/`,
    },
    serde: {
      serializationLibrary: "org.openx.data.jsonserde.JsonSerDe",
      parameters: { "ignore.malformed.json": "true", "case.insensitive": "true" },
    },
    inputFormat: "org.apache.hadoop.mapred.TextInputFormat",
    outputFormat: "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
  };
}
