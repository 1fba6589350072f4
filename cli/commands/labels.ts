import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import * as path from "node:path";
import { AthenaClient } from "@aws-sdk/client-athena";
import type { Command } from "commander";
import { z } from "zod";
import { isImageKey } from "../../contracts/dataLake";
import { imageIdFromKey, LabelRecord, labelRecordSchema } from "../../contracts/labelRecord";
import { labelStoreCatalogNames, labelStoreTableSql } from "../../contracts/labelStoreTable";
import { AthenaQueryEngine } from "../../lib/aws/athenaQueryEngine";
import { cocoExport, ExportFormat, yoloExport } from "../../lib/labels/exportFormats";
import { labelsEngine, localLabelStoreFile } from "../../lib/labels/duckDbLabels";
import { LABEL_QUERIES } from "../../lib/labels/queries";
import type { QueryEngine, QueryRow } from "../../lib/query/engine";
import type { CommandContext } from "../context";
import { UsageError } from "../errors";
import { check, flag } from "../flags";
import { PROJECT_DIR, selectedStackName, stackConfigFromFile } from "../stack";

interface LabelsOptions {
  stack?: string;
  stateDir?: string;
  image?: string;
  export?: string;
  out?: string;
}

const labelsFlags = {
  image: z
    .string()
    .refine(
      (v) => /^[0-9a-f]{32}$/.test(v) || isImageKey(v),
      "--image must be an image id (32 hex digits) or an image key under images/",
    ),
  export: z.enum(["coco", "yolo"], { error: "--export must be coco or yolo" }),
};

/** `labels`: the label store's counts, one image's history, or the approved labels as COCO or YOLO files. */
export function register(program: Command, context: CommandContext): void {
  program
    .command("labels")
    .description("the label store: counts by labeling job and status, --image history, --export coco|yolo")
    .option("--image <id or key>", "every label record of one image, oldest first")
    .option("--export <format>", "write the approved labels as coco or yolo files into --out")
    .option("--out <dir>", "folder for --export (created if missing)")
    .option(
      "--stack <stack>",
      "Pulumi stack whose config and outputs to use (default: the selected stack; dev offline)",
    )
    .option("--state-dir <dir>", "an offline run's label store (npm start's --state-dir) instead of AWS")
    .action(context.action((options: LabelsOptions) => runLabels(options, context)));
}

async function runLabels(options: LabelsOptions, context: CommandContext): Promise<void> {
  const { env, print } = context;
  const image = options.image === undefined ? undefined : check(labelsFlags.image, options.image);
  const format = options.export === undefined ? undefined : check(labelsFlags.export, options.export);
  if (format && !options.out) throw new UsageError("--export needs --out <dir>, the folder to write the files into");
  if (options.stack !== undefined) check(flag.stack, options.stack);
  const offline = options.stateDir !== undefined;
  const stack = options.stack ?? (offline ? "dev" : await selectedStackName(env.pulumi));
  const config = stackConfigFromFile(env.projectDir ?? PROJECT_DIR, stack);
  const { engine, table } = offline
    ? await localLabels(options.stateDir!, config.namePrefix)
    : featureStoreLabels(config.namePrefix, context);
  try {
    if (format) {
      const { rows } = await engine.query(LABEL_QUERIES.approved(table));
      const records = rows.map((row) => labelRecordSchema.parse(row) as LabelRecord);
      const files = exporter(format)(records, config.labeling.classes);
      for (const file of files) {
        const target = path.join(options.out!, file.path);
        await mkdir(path.dirname(target), { recursive: true });
        await writeFile(target, file.content);
      }
      print(
        context.json
          ? JSON.stringify({ format, images: records.length, files: files.length })
          : `${format}: ${records.length} approved images, ${files.length} files in ${options.out}`,
      );
      return;
    }
    const id = image && (isImageKey(image) ? imageIdFromKey(image) : image);
    const { columns, rows } = await engine.query(id ? LABEL_QUERIES.history(table, id) : LABEL_QUERIES.counts(table));
    if (context.json) print(JSON.stringify({ image: id ?? null, rows }));
    else for (const line of table2(columns, rows, id)) print(line);
  } finally {
    await engine.close();
  }
}

const exporter = (format: ExportFormat) => (format === "coco" ? cocoExport : yoloExport);

function table2(columns: string[], rows: QueryRow[], imageId: string | undefined): string[] {
  if (rows.length === 0) return [imageId ? `no label records for image ${imageId}` : "the label store is empty"];
  const cells = [columns, ...rows.map((row) => columns.map((c) => String(row[c] ?? "–")))];
  const widths = columns.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  return cells.map((r) =>
    r
      .map((text, i) => text.padEnd(widths[i]))
      .join("  ")
      .trimEnd(),
  );
}

async function localLabels(stateDir: string, namePrefix: string) {
  if (!existsSync(path.resolve(stateDir)))
    throw new UsageError(`--state-dir ${stateDir} does not exist: run npm start with it first`);
  return labelsEngine(localLabelStoreFile(path.resolve(stateDir), namePrefix));
}

/** The feature group's offline store table (declared by the LabelStore component), queried in its workgroup. */
function featureStoreLabels(namePrefix: string, context: CommandContext) {
  const names = labelStoreCatalogNames(namePrefix);
  const region = context.region;
  const client = context.env.createAthenaClient?.(region) ?? new AthenaClient(region ? { region } : {});
  const { sleep, pollMs, now } = context.env;
  const engine = new AthenaQueryEngine(
    client,
    { workgroup: names.workgroup, database: names.database },
    { sleep, pollMs, now: () => now().getTime() },
  );
  return { engine: engine as QueryEngine, table: labelStoreTableSql(names) };
}
