import { Command } from "commander";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { ANNOTATIONS_FILE, SPLITS, SUMMARY_FILE } from "../contracts/dataset";
import { Conversion, conversionFlagsSchema, convertExport, LabelRowError } from "./convertLabels";

/** Every file below `dir`, as relative paths with `/` separators. */
export function filesBelow(dir: string): Set<string> {
  const found = new Set<string>();
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile())
      found.add(path.relative(dir, path.join(entry.parentPath, entry.name)).split(path.sep).join("/"));
  }
  return found;
}

/**
 * Writes a converted export as a dataset: `<out>/<split>/annotations.jsonl`, each split's images copied to the path
 * its records name, and `<out>/summary.json`. Refuses to write into a folder that already holds a dataset.
 */
export function writeDataset(conversion: Conversion, imagesDir: string, out: string): void {
  if (existsSync(path.join(out, SUMMARY_FILE))) {
    throw new Error(`${out} already holds a dataset (${SUMMARY_FILE}); choose an empty --out`);
  }
  for (const split of SPLITS) {
    const splitDir = path.join(out, split);
    mkdirSync(splitDir, { recursive: true });
    const lines: string[] = [];
    for (const image of conversion.images.filter((i) => i.split === split)) {
      const target = path.join(splitDir, image.record.image);
      mkdirSync(path.dirname(target), { recursive: true });
      copyFileSync(path.join(imagesDir, image.imageFile), target);
      lines.push(JSON.stringify(image.record));
    }
    writeFileSync(path.join(splitDir, ANNOTATIONS_FILE), lines.map((line) => `${line}\n`).join(""));
  }
  writeFileSync(path.join(out, SUMMARY_FILE), `${JSON.stringify(conversion.summary, null, 2)}\n`);
}

function main(argv: string[]): void {
  const program = new Command()
    .name("dataset:from-labels")
    .description("Convert a Feature Store label export (CSV) and its images into a training dataset.")
    .requiredOption("--labels <csv>", "label export, e.g. ../shared/datasets/scratches/labels/labels.csv")
    .requiredOption("--images <dir>", "folder holding the images the export names, e.g. .../scratches/images")
    .requiredOption("--out <dir>", "new dataset folder: <out>/{train,validation,test}/ and <out>/summary.json")
    .option("--dataset-id <id>", "dataset id for summary.json (default: the name of --out)")
    .option("--classes <names>", "class names, comma separated; a box's class_id indexes them", "scratch")
    .option("--fractions <train,validation,test>", "split fractions", "0.8,0.1,0.1")
    .option(
      "--split <method>",
      "image-id-hash (the pipeline's split) or stratified (by has-boxes, seeded; the evaluation protocol)",
      "image-id-hash",
    )
    .option("--seed <n>", "seed of the stratified split", "0")
    .parse(argv);
  const options = program.opts<Record<string, string>>();
  const parsed = conversionFlagsSchema.safeParse({
    ...options,
    datasetId: options.datasetId ?? path.basename(path.resolve(options.out)),
  });
  if (!parsed.success) {
    program.error(parsed.error.issues.map((issue) => issue.message).join("\n"));
    return;
  }
  const flags = parsed.data;
  let conversion: Conversion;
  try {
    conversion = convertExport(readFileSync(flags.labels, "utf8"), filesBelow(flags.images), {
      datasetId: flags.datasetId,
      classes: flags.classes,
      fractions: flags.fractions,
      split: flags.split === "stratified" ? { method: "stratified", seed: flags.seed } : { method: "image-id-hash" },
      createdAt: new Date(),
    });
  } catch (error) {
    if (error instanceof LabelRowError) throw new Error(`${flags.labels}, ${error.message}`, { cause: error });
    throw error;
  }
  writeDataset(conversion, flags.images, flags.out);
  const { counts, boxes, labelsHash } = conversion.summary;
  for (const split of SPLITS) {
    const clean = conversion.images.filter((i) => i.split === split && i.record.annotations.length === 0).length;
    console.log(`${split}: ${counts[split]} images (${clean} without boxes), ${boxes[split]} boxes`);
  }
  for (const { line, reason } of conversion.skipped) console.log(`skipped line ${line}: ${reason}`);
  console.log(`labelsHash ${labelsHash}; wrote ${flags.out}`);
}

if (require.main === module) {
  try {
    main(process.argv);
  } catch (error) {
    console.error(`dataset:from-labels: ${(error as Error).message}`);
    process.exit(1);
  }
}
