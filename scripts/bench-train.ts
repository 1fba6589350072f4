import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { z } from "zod";
import { field } from "../lib/fields";
import { existingPath, sidesMultipleOf, wholeNumber } from "../lib/fieldValues";
import { checkTorch, findPython, TORCH_INSTALL_HINT, TRAIN_SCRIPT } from "../training/python";

/**
 * `npm run bench:train -- --data <dataset> [--image-size 320,384x256] [--epochs 4] [--schedule 54]`
 *
 * How long training takes on this machine, per input size: runs train.py for a few epochs on the dataset (the demo
 * model's settings, no interim validation, no intervals), reads the seconds it prints for each epoch, and projects a
 * schedule of `--schedule` epochs from the fastest epoch after the first (the first pays for warming up) and from
 * their median. The model card's "training minutes" are that projection; run it on an otherwise idle machine. The
 * last line is JSON.
 */

const FLAGS = {
  "--data": field(
    "be a dataset folder holding train/ and validation/ (npm run dataset:from-labels)",
    existingPath("directory"),
  ),
  "--image-size": field(
    "be input sizes separated by commas, each <n> or <width>x<height> in multiples of 32 from 64 to 1280",
    z
      .string()
      .transform((text) => text.split(","))
      .pipe(z.array(sidesMultipleOf(32, 64, 1280))),
  ),
  "--epochs": field("be a whole number of epochs to time, from 2 to 50", wholeNumber(2, 50)),
  "--schedule": field("be the whole number of epochs to project, from 1 to 1000", wholeNumber(1, 1000)),
};
const DEFAULTS = { "--image-size": "320", "--epochs": "4", "--schedule": "54" };

type Flags = { [K in keyof typeof FLAGS]: z.output<(typeof FLAGS)[K]["schema"]> };

/** The flags, or the one line that names the first bad one. */
export function parseFlags(argv: string[]): Flags | string {
  const given: Record<string, string> = { ...DEFAULTS };
  for (let i = 0; i < argv.length; i += 2) {
    if (!(argv[i] in FLAGS)) return `${argv[i]}: not a flag of bench:train (${Object.keys(FLAGS).join(", ")})`;
    given[argv[i]] = argv[i + 1] ?? "";
  }
  const flags: Record<string, unknown> = {};
  for (const [name, flag] of Object.entries(FLAGS)) {
    const parsed = flag.schema.safeParse(given[name]);
    if (!parsed.success) return `${name} must ${flag.must} (got ${given[name] ?? "nothing"})`;
    flags[name] = parsed.data;
  }
  return flags as Flags;
}

/** The seconds train.py printed for each epoch (`epoch 3/4: loss …, 21.5 s`), in order. */
export function epochSeconds(log: string): number[] {
  return [...log.matchAll(/^epoch \d+\/\d+: .*, ([0-9.]+) s$/gm)].map((match) => Number(match[1]));
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const round = (value: number, decimals: number) => Math.round(value * 10 ** decimals) / 10 ** decimals;

/** Trains `epochs` epochs at one input size into a scratch folder; the epochs' seconds. */
function timeEpochs(python: string, flags: Flags, size: { width: number; height: number }): number[] {
  const scratch = mkdtempSync(path.join(tmpdir(), "qi-bench-train-"));
  try {
    const args = [TRAIN_SCRIPT, "--data", flags["--data"], "--epochs", String(flags["--epochs"])];
    args.push("--image-size", `${size.width}x${size.height}`, "--pretrained", "none", "--bootstrap", "0");
    args.push("--eval-every", "1000", "--check-images", "1", "--model-dir", path.join(scratch, "model"));
    const run = spawnSync(python, args, { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    if (run.status !== 0) throw new Error(`train.py failed (${run.status}): ${run.stderr.trim().split("\n").pop()}`);
    return epochSeconds(run.stdout);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

function main(argv: string[]): number {
  const flags = parseFlags(argv);
  if (typeof flags === "string") {
    console.error(`bench:train: ${flags}`);
    return 2;
  }
  const python = findPython();
  const torch = checkTorch(python);
  if (!torch.ok) {
    console.error(`bench:train: ${torch.detail}; ${TORCH_INSTALL_HINT}`);
    return 1;
  }
  const schedule = flags["--schedule"];
  const results = flags["--image-size"].map((size) => {
    const seconds = timeEpochs(python, flags, size);
    const steady = seconds.slice(1);
    const [fastest, middle] = [Math.min(...steady), median(steady)];
    const result = {
      imageSize: `${size.width}x${size.height}`,
      epochSeconds: seconds,
      fastestSeconds: fastest,
      medianSeconds: middle,
      scheduleEpochs: schedule,
      scheduleMinutesFastest: round((schedule * fastest) / 60, 1),
      scheduleMinutesMedian: round((schedule * middle) / 60, 1),
    };
    console.log(
      `${result.imageSize}: epochs ${seconds.join(", ")} s; ${schedule} epochs ≈ ${result.scheduleMinutesFastest}` +
        `–${result.scheduleMinutesMedian} min`,
    );
    return result;
  });
  console.log(JSON.stringify({ python: torch.detail, results }));
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
