import { DatasetRecord, Split, SplitFractions, splitOf, toDatasetRecord } from "../../contracts/dataset";
import { imageIdFromKey, labelRecordSchema } from "../../contracts/labelRecord";
import { datasetSplitQuery } from "../../lib/labels/queries";
import type { QueryEngine, QueryRow } from "../../lib/query/engine";
import type { LabelStore } from "../../lib/ports";
import { s3Uri } from "../../lib/s3Uri";

export interface SplitRecord {
  record: DatasetRecord;
  split: Split;
}

/** The engine that splits large datasets, and its name for the label store's offline table. */
export interface SplitEngine {
  engine: QueryEngine;
  table: string;
}

/**
 * Large lakes: the engine finds the approved labels and splits them (`splitSql`, the same split as `splitOf`), ordered
 * by image id. The offline store receives a put some minutes after the online store, so the labels of this run's own
 * images (`fresh`, the keys it sent for labeling) are read from the label store and take the place of whatever the
 * engine says of them, merged in at their place in the order.
 */
export async function* splitByQuery(
  { engine, table }: SplitEngine,
  labels: LabelStore,
  bucket: string,
  fractions: SplitFractions,
  fresh: readonly string[],
): AsyncIterable<SplitRecord> {
  const freshIds = new Set(fresh.map(imageIdFromKey));
  const first = await approvedRecords(labels, fresh, fractions);
  const lake = s3Uri(bucket, "");
  let next = 0;
  for await (const row of engine.rows(datasetSplitQuery(table, fractions))) {
    const label = labelOfRow(row);
    if (freshIds.has(label.image_id)) continue;
    // An image of another bucket (a label store shared across stacks) is not in this lake.
    if (!label.source_ref.startsWith(lake)) continue;
    while (next < first.length && first[next].record.image_id < label.image_id) yield first[next++];
    yield { record: toDatasetRecord(label, label.source_ref.slice(lake.length)), split: row.split as Split };
  }
  yield* first.slice(next);
}

/**
 * The approved labels of the images at `keys`, from the label store, each with its split, ordered by image id: every
 * image of a small lake, or this run's own images of a large one.
 */
export async function approvedRecords(
  labels: LabelStore,
  keys: readonly string[],
  fractions: SplitFractions,
): Promise<SplitRecord[]> {
  if (keys.length === 0) return [];
  const ids = keys.map(imageIdFromKey);
  const { found } = await labels.get(ids);
  const records: SplitRecord[] = [];
  keys.forEach((key, i) => {
    const label = found.get(ids[i]);
    if (label?.status !== "APPROVED") return;
    const record = toDatasetRecord(label, key);
    records.push({ record, split: splitOf(record.image_id, fractions) });
  });
  return records.sort((a, b) => a.record.image_id.localeCompare(b.record.image_id));
}

/** A row of the offline table as a label record: engines return its numbers as numbers or text. */
function labelOfRow(row: QueryRow) {
  return labelRecordSchema.parse({
    ...row,
    event_time: Number(row.event_time),
    image_width: Number(row.image_width),
    image_height: Number(row.image_height),
    image_depth: Number(row.image_depth),
  });
}
