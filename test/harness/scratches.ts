import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { imageIdFromKey, LabelRecord } from "../../contracts/labelRecord";

/** The shared sample data (../shared/datasets/scratches, or QI_SCRATCHES_DIR); absent in a fresh clone. */
export const SCRATCHES_DIR =
  process.env.QI_SCRATCHES_DIR ?? path.resolve(__dirname, "..", "..", "..", "shared", "datasets", "scratches");

export const haveScratches = () => existsSync(path.join(SCRATCHES_DIR, "labels", "labels.csv"));

/** Splits one CSV line with quoted fields. */
function csvFields(line: string): string[] {
  const fields: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted && c === '"' && line[i + 1] === '"') {
      field += '"';
      i++;
    } else if (c === '"') quoted = !quoted;
    else if (c === "," && !quoted) {
      fields.push(field);
      field = "";
    } else field += c;
  }
  fields.push(field);
  return fields;
}

/** The labels of the sample data as label records of images at `images/<bad|good>/<file>` in `bucket`. */
export function scratchLabels(bucket: string): { key: string; record: LabelRecord }[] {
  const [header, ...rows] = readFileSync(path.join(SCRATCHES_DIR, "labels", "labels.csv"), "utf8")
    .trim()
    .split("\n");
  const columns = csvFields(header);
  return rows.map((row) => {
    const value = Object.fromEntries(csvFields(row).map((v, i) => [columns[i], v]));
    const key = `images/${value.source_ref.split("/2021-01-28-09-50-34/")[1]}`;
    // The export writes annotations as a Python literal: single quotes.
    const boxes = JSON.parse(value.annotations.replace(/'/g, '"')) as Record<string, number>[];
    const annotations = boxes.map((b) => ({
      class_id: b.class_id,
      left: b.left,
      top: b.top,
      width: b.width,
      height: b.height,
    }));
    const record: LabelRecord = {
      image_id: imageIdFromKey(key),
      event_time: Number(value.event_time),
      source_ref: `s3://${bucket}/${key}`,
      image_width: Number(value.image_width),
      image_height: Number(value.image_height),
      image_depth: Number(value.image_depth),
      annotations: JSON.stringify(annotations),
      labeling_job: value.labeling_job,
      status: value.status as LabelRecord["status"],
    };
    return { key, record };
  });
}
