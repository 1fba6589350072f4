import { z } from "zod";
import { DATA_LAKE_PREFIXES } from "../contracts/dataLake";
import {
  DatasetRecord,
  DatasetSummary,
  datasetSummarySchema,
  labelsHash,
  Split,
  SplitFractions,
  SplitMethod,
  splitOf,
  SPLITS,
  stratifiedSplit,
  toDatasetRecord,
  splitFractionsText,
} from "../contracts/dataset";
import { imageIdFromKey, LabelRecord, labelRecordSchema } from "../contracts/labelRecord";

/**
 * Turns a label export (the Feature Store CSV export in `../shared/datasets/scratches/labels/labels.csv`) into the
 * training dataset of `contracts/dataset.ts`. Pure: the CLI in `datasetFromLabels.ts` does the file work.
 */

/** A problem with one row of the export; the message names the line and the field. */
export class LabelRowError extends Error {
  constructor(
    readonly line: number,
    readonly field: string,
    problem: string,
  ) {
    super(`line ${line}, field ${field}: ${problem}`);
    this.name = "LabelRowError";
  }
}

export interface CsvRow {
  /** 1-based line of the file where the row starts. */
  line: number;
  fields: string[];
}

/** RFC 4180 CSV: quoted fields may hold commas, doubled quotes and line breaks. */
export function parseCsv(text: string): CsvRow[] {
  const rows: CsvRow[] = [];
  let fields: string[] = [];
  let field = "";
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  let fieldStarted = false;
  const endRow = () => {
    if (fieldStarted || fields.length > 0) rows.push({ line: rowLine, fields: [...fields, field] });
    fields = [];
    field = "";
    fieldStarted = false;
  };
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (c === '"') {
        quoted = false;
      } else {
        if (c === "\n") line += 1;
        field += c;
      }
    } else if (c === '"' && field === "") {
      quoted = true;
      fieldStarted = true;
    } else if (c === ",") {
      fields.push(field);
      field = "";
      fieldStarted = true;
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i += 1;
      endRow();
      line += 1;
      rowLine = line;
    } else {
      field += c;
      fieldStarted = true;
    }
  }
  if (quoted) throw new LabelRowError(rowLine, "(row)", "a quoted field is never closed");
  endRow();
  return rows;
}

type Literal = string | number | boolean | null | Literal[] | { [key: string]: Literal };

/**
 * The Python literals a Feature Store export writes for list-valued columns (`[{'class_id': 0, 'top': 1}]`): lists,
 * dicts, quoted strings, numbers, True/False/None. Also accepts JSON, which is the same grammar.
 */
export function parsePythonLiteral(text: string): Literal {
  let at = 0;
  const fail = (expected: string): never => {
    throw new Error(`expected ${expected} at character ${at + 1} of ${JSON.stringify(text)}`);
  };
  const skipSpace = () => {
    while (at < text.length && /\s/.test(text[at])) at += 1;
  };
  const value = (): Literal => {
    skipSpace();
    const c = text[at];
    if (c === "[") return sequence("]", () => value()) as Literal[];
    if (c === "{") {
      const entries = sequence("}", () => {
        skipSpace();
        const key = text[at] === "'" || text[at] === '"' ? string() : fail("a quoted key");
        skipSpace();
        if (text[at] !== ":") fail("':'");
        at += 1;
        return [key, value()] as const;
      });
      return Object.fromEntries(entries);
    }
    if (c === "'" || c === '"') return string();
    const word = /^(?:-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|True|False|None|true|false|null)/.exec(text.slice(at));
    if (!word) return fail("a value");
    at += word[0].length;
    if (word[0] === "True" || word[0] === "true") return true;
    if (word[0] === "False" || word[0] === "false") return false;
    if (word[0] === "None" || word[0] === "null") return null;
    return Number(word[0]);
  };
  const sequence = <T>(close: string, item: () => T): T[] => {
    at += 1;
    const items: T[] = [];
    skipSpace();
    while (text[at] !== close) {
      items.push(item());
      skipSpace();
      if (text[at] === ",") {
        at += 1;
        skipSpace();
      } else if (text[at] !== close) {
        fail(`',' or '${close}'`);
      }
    }
    at += 1;
    return items;
  };
  const string = (): string => {
    const quote = text[at];
    let out = "";
    at += 1;
    while (text[at] !== quote) {
      if (at >= text.length) fail(`closing ${quote}`);
      if (text[at] === "\\") at += 1;
      out += text[at];
      at += 1;
    }
    at += 1;
    return out;
  };
  const result = value();
  skipSpace();
  if (at !== text.length) fail("the end of the value");
  return result;
}

export const EXPORT_COLUMNS = [
  "source_ref",
  "image_width",
  "image_height",
  "image_depth",
  "annotations",
  "event_time",
  "labeling_job",
  "status",
] as const;

/** One data row of the export, with the columns named by the header. */
export type ExportRow = { line: number } & Record<(typeof EXPORT_COLUMNS)[number], string>;

export function exportRows(csv: string): ExportRow[] {
  const [header, ...rows] = parseCsv(csv);
  if (!header) throw new LabelRowError(1, "(header)", "the file is empty");
  const missing = EXPORT_COLUMNS.filter((column) => !header.fields.includes(column));
  if (missing.length > 0) {
    throw new LabelRowError(header.line, "(header)", `missing column(s) ${missing.join(", ")}`);
  }
  return rows
    .filter((row) => !(row.fields.length === 1 && row.fields[0].trim() === ""))
    .map((row) => {
      if (row.fields.length !== header.fields.length) {
        throw new LabelRowError(
          row.line,
          "(row)",
          `has ${row.fields.length} fields, the header has ${header.fields.length}`,
        );
      }
      const byName = Object.fromEntries(header.fields.map((name, i) => [name, row.fields[i]]));
      return { line: row.line, ...byName } as ExportRow;
    });
}

/** The path of an `s3://bucket/key` reference, without the bucket. */
export function keyOfSourceRef(sourceRef: string): string {
  const match = /^s3:\/\/[^/]+\/(.+)$/.exec(sourceRef);
  if (!match) throw new Error("must look like s3://<bucket>/<key>");
  return match[1];
}

/**
 * The image file (a path relative to the images folder, with `/` separators) that a source reference names: the
 * longest tail of its key that is a file there. Exports keep their original prefixes
 * (`pipeline/assets/images/<date>/bad/x.jpg`), so the file is found by its tail (`bad/x.jpg`).
 */
export function imageFileOf(sourceRef: string, files: ReadonlySet<string>): string | undefined {
  const parts = keyOfSourceRef(sourceRef).split("/");
  for (let i = 0; i < parts.length; i += 1) {
    const candidate = parts.slice(i).join("/");
    if (files.has(candidate)) return candidate;
  }
  return undefined;
}

/** The label record of one export row, for the image that sits at `images/<imageFile>` in the data lake. */
export function labelRecordOf(row: ExportRow, imageFile: string): LabelRecord {
  let annotations: string;
  try {
    annotations = JSON.stringify(parsePythonLiteral(row.annotations));
  } catch (error) {
    throw new LabelRowError(row.line, "annotations", (error as Error).message);
  }
  const result = labelRecordSchema.safeParse({
    image_id: imageIdFromKey(`${DATA_LAKE_PREFIXES.images}${imageFile}`),
    event_time: Number(row.event_time),
    source_ref: row.source_ref,
    image_width: Number(row.image_width),
    image_height: Number(row.image_height),
    image_depth: Number(row.image_depth),
    annotations,
    labeling_job: row.labeling_job,
    status: row.status,
  });
  if (!result.success) {
    const issue = result.error.issues[0];
    const field = String(issue.path[0] ?? "(row)");
    const got = field in row ? ` (got ${JSON.stringify(row[field as keyof ExportRow])})` : "";
    throw new LabelRowError(row.line, field, `${issue.message}${got}`);
  }
  return result.data;
}

export interface ConvertedImage {
  split: Split;
  /** Path of the image relative to the images folder of the export. */
  imageFile: string;
  record: DatasetRecord;
}

export interface Conversion {
  images: ConvertedImage[];
  summary: DatasetSummary;
  /** Rows left out, and why (rejected labels, older labels of the same image). */
  skipped: { line: number; reason: string }[];
}

export interface ConversionOptions {
  datasetId: string;
  classes: string[];
  fractions: SplitFractions;
  /** Default: by image id hash, as the pipeline splits. */
  split?: SplitMethod;
  createdAt: Date;
}

/**
 * The dataset of an export: approved labels only, the newest label per image (as the Feature Store online store
 * keeps it), each image in the split its id decides. `files` lists the image files available (relative paths).
 */
export function convertExport(csv: string, files: ReadonlySet<string>, options: ConversionOptions): Conversion {
  const skipped: Conversion["skipped"] = [];
  const newest = new Map<string, { row: ExportRow; label: LabelRecord; imageFile: string }>();
  for (const row of exportRows(csv)) {
    let imageFile: string | undefined;
    try {
      imageFile = imageFileOf(row.source_ref, files);
    } catch (error) {
      throw new LabelRowError(row.line, "source_ref", `${(error as Error).message} (got ${row.source_ref})`);
    }
    if (imageFile === undefined) {
      throw new LabelRowError(row.line, "source_ref", `no image file matches ${row.source_ref}`);
    }
    const label = labelRecordOf(row, imageFile);
    for (const box of JSON.parse(label.annotations) as { class_id: number }[]) {
      if (box.class_id >= options.classes.length) {
        throw new LabelRowError(
          row.line,
          "annotations",
          `class_id ${box.class_id} has no class name (classes: ${options.classes.join(", ")})`,
        );
      }
    }
    if (label.status !== "APPROVED") {
      skipped.push({ line: row.line, reason: `status ${label.status}` });
      continue;
    }
    const previous = newest.get(label.image_id);
    if (previous && previous.label.event_time >= label.event_time) {
      skipped.push({ line: row.line, reason: `line ${previous.row.line} labels the same image later` });
      continue;
    }
    if (previous) skipped.push({ line: previous.row.line, reason: `line ${row.line} labels the same image later` });
    newest.set(label.image_id, { row, label, imageFile });
  }
  const method = options.split ?? { method: "image-id-hash" };
  const records = [...newest.values()].map(({ label, imageFile }) => ({
    imageFile,
    record: toDatasetRecord(label, `${DATA_LAKE_PREFIXES.images}${imageFile}`),
  }));
  const stratified =
    method.method === "stratified"
      ? stratifiedSplit(
          records.map((r) => r.record),
          options.fractions,
          method.seed,
        )
      : undefined;
  const images = records
    .map(({ imageFile, record }) => ({
      split: stratified?.get(record.image_id) ?? splitOf(record.image_id, options.fractions),
      imageFile,
      record,
    }))
    .sort((a, b) => a.imageFile.localeCompare(b.imageFile));
  const count = (of: (image: ConvertedImage) => number) =>
    Object.fromEntries(
      SPLITS.map((split) => [split, images.filter((i) => i.split === split).reduce((n, i) => n + of(i), 0)]),
    ) as Record<Split, number>;
  const summary = datasetSummarySchema.parse({
    schemaVersion: 1,
    datasetId: options.datasetId,
    createdAt: options.createdAt.toISOString(),
    classes: options.classes,
    fractions: options.fractions,
    split: method,
    counts: count(() => 1),
    boxes: count((image) => image.record.annotations.length),
    labelsHash: labelsHash(images.map((image) => image.record)),
  });
  return { images, summary, skipped: skipped.sort((a, b) => a.line - b.line) };
}

export const conversionFlagsSchema = z.object({
  labels: z.string().min(1, "--labels <csv> is required"),
  images: z.string().min(1, "--images <dir> is required"),
  out: z.string().min(1, "--out <dir> is required"),
  datasetId: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "--dataset-id must be letters, digits, . _ -"),
  classes: z
    .string()
    .transform((s) => s.split(",").map((c) => c.trim()))
    .refine((c) => c.every((name) => name.length > 0), "--classes must be comma-separated non-empty names"),
  fractions: splitFractionsText("--fractions"),
  split: z.enum(["image-id-hash", "stratified"], "--split must be image-id-hash or stratified"),
  seed: z.string().regex(/^\d+$/, "--seed must be a whole number >= 0").transform(Number),
});
export type ConversionFlags = z.infer<typeof conversionFlagsSchema>;
