/**
 * `npm run bench:scale`: what one pipeline run's FindUnlabeledImages and BuildDataset cost as the data lake grows.
 * The real handlers run against a generated lake (bench/scale/syntheticLake.ts) whose ports count every AWS call;
 * bench/scale/prices.ts holds the page sizes, prices and latencies, each with its AWS documentation link; the method
 * is in docs/pipeline.md ("What a run costs at scale").
 *
 * Sizes up to `--run-limit` (default 1,000,000) are run; larger ones are extrapolated on the line through the two
 * largest run sizes (marked `~`). The last line is JSON: {"<size>": {"<step>": {seconds, calls, dollars}}, ...}.
 */
import "../test/setup";
import { Command } from "commander";
import { z } from "zod";
import { LAMBDA_LIMIT_SECONDS } from "./scale/prices";
import type { StepFigures } from "./scale/meter";
import { extrapolate, measureStep, STEPS } from "./scale/steps";

const optionsSchema = z.object({
  sizes: z.string().regex(/^\d+(,\d+)*$/, "sizes must be whole numbers separated by commas"),
  fresh: z.coerce.number().int().positive(),
  runLimit: z.coerce.number().int().positive(),
});

async function main() {
  const program = new Command("bench:scale")
    .option("--sizes <list>", "stored images per lake", "10000,100000,1000000,10000000")
    .option("--fresh <n>", "new images among them", "1000")
    .option("--run-limit <n>", "largest lake to run; larger ones are extrapolated", "1000000")
    .parse();
  const parsed = optionsSchema.safeParse(program.opts());
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    console.error(`${String(issue.path[0])}: ${issue.message}`);
    process.exit(2);
  }
  const { fresh, runLimit } = parsed.data;
  const sizes = parsed.data.sizes.split(",").map(Number);
  const figures: Record<number, Record<string, StepFigures & { extrapolated: boolean }>> = {};
  console.log(`${fresh} new images per run; Lambda limit ${LAMBDA_LIMIT_SECONDS} s\n`);
  console.log(`${"stored".padStart(11)}  ${"step".padEnd(20)}${"seconds".padStart(10)}  calls`);
  for (const size of sizes) {
    figures[size] = {};
    for (const step of STEPS) {
      const run = sizes.filter((s) => s <= runLimit && s < size).slice(-2);
      const extrapolated = size > runLimit && run.length === 2;
      const result = extrapolated
        ? extrapolate([run[0], figures[run[0]][step]], [run[1], figures[run[1]][step]], size)
        : await measureStep(step, size, fresh);
      figures[size][step] = { ...result, extrapolated };
      print(size, step, result, extrapolated);
    }
    // A run takes one of the two BuildDataset paths: each total is Find plus that path.
    for (const build of ["buildDataset", "buildDatasetEngine"] as const) {
      const [find, built] = [figures[size].findUnlabeledImages, figures[size][build]];
      const label = build === "buildDataset" ? "find + build" : "find + build (engine)";
      console.log(
        `${"".padStart(11)}  ${label.padEnd(22)}${(find.seconds + built.seconds).toFixed(1).padStart(8)}  ` +
          `$${(find.dollars + built.dollars).toFixed(4)}`,
      );
    }
    console.log("");
  }
  console.log(JSON.stringify(figures));
}

function print(size: number, step: string, f: StepFigures, extrapolated: boolean) {
  const calls = Object.entries(f.calls)
    .map(([api, n]) => `${api} ${n.toLocaleString("en-US")}`)
    .join(", ");
  const over = f.seconds > LAMBDA_LIMIT_SECONDS ? " OVER 15 min" : "";
  const heap = f.heapMb === undefined ? "" : `  heap +${f.heapMb} MB`;
  const mark = extrapolated ? "~" : " ";
  console.log(
    `${size.toLocaleString("en-US").padStart(11)}  ${step.padEnd(20)}${mark}${f.seconds.toFixed(1).padStart(9)}  ` +
      `$${f.dollars.toFixed(4)}${over}  ${calls}${heap}`,
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
