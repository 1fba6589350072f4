import { existsSync } from "node:fs";
import * as path from "node:path";
import { Command, CommanderError } from "commander";
import { z } from "zod";
import { ConfigError } from "../config/schema";
import { DEFAULT_IMAGES, OfflineOptions, OfflineResult, runOffline } from "./run";
import { parseConfigAssignment } from "./settings";
import { requireDeclaredRuntime } from "../lib/runtime";
import { field, schemaNamed } from "../lib/fields";
import { numberRead } from "../lib/fieldValues";

const PROJECT_DIR = path.resolve(__dirname, "..");

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** Flags are validated here; each message names the flag and the form it wants. */
const whole = (flag: string, min: number, max: number) =>
  schemaNamed(flag, field(`be a whole number from ${min} to ${max}`, numberRead(min, max, true)));
const seconds = (flag: string, min: number, max: number) =>
  schemaNamed(flag, field(`be a number of seconds from ${min} to ${max}`, numberRead(min, max, false)));

const flagsSchema = z.object({
  stack: z
    .string()
    .regex(/^[A-Za-z0-9._-]+$/, "--stack must be a stack name such as dev or prod")
    .refine((stack) => existsSync(path.join(PROJECT_DIR, `Pulumi.${stack}.yaml`)), {
      message: "--stack must name a stack with a Pulumi.<stack>.yaml in the project (dev, prod)",
    }),
  dataset: z
    .string()
    .refine((dir) => existsSync(path.join(dir, "images")) && existsSync(path.join(dir, "labels", "labels.csv")), {
      message: "--dataset must be a folder holding images/ and labels/labels.csv (e.g. ../shared/datasets/scratches)",
    })
    .optional(),
  images: whole("--images", 1, 100_000).optional(),
  seed: whole("--seed", 0, 2_147_483_647),
  cameraImages: whole("--camera-images", 1, 10_000),
  edgeSeconds: seconds("--edge-seconds", 0, 86_400),
  edgeInterval: seconds("--edge-interval", 0, 86_400),
  viewerPort: whole("--viewer-port", 0, 65_535),
});

function description(): string {
  return (
    "Runs the quality-inspection pipeline on this machine, without an AWS account: the state machine " +
    "definition `pulumi up` deploys, built from the stack's config, with every step served locally. Images " +
    "are labeled, a model is trained (training/train.py on the CPU), gated, registered, optimised and deployed " +
    "to a local Greengrass device that runs the real edge detector against an embedded MQTT broker."
  );
}

/** The `--json` line: what scripts and CI read. */
export function jsonSummary(result: OfflineResult) {
  return {
    stages: result.stages,
    map50_95: result.map50_95,
    deployed: result.deployed,
    detectionsReceived: result.detectionsReceived,
    wallSeconds: result.wallSeconds,
    status: result.status,
    outcome: result.outcome,
    detectionsPerSecond: result.detectionsPerSecond,
  };
}

export interface MainEnvironment {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  untilStopped?: () => Promise<void>;
}

export async function main(argv: string[], env: MainEnvironment): Promise<number> {
  const program = new Command("npm start --")
    .description(description())
    .option("--stack <name>", "stack whose Pulumi.<stack>.yaml configures the run", "dev")
    .option("--clean", "start from an empty data lake, label store, registry and device")
    .option("--state-dir <dir>", "where the local cloud keeps its state between runs (default: .local/<stack>)")
    .option("--dataset <dir>", "real images and labels (images/ + labels/labels.csv) instead of synthetic parts")
    .option(
      "--images <n>",
      `synthetic parts in the data lake on a first run (default: ${DEFAULT_IMAGES}, or 1.25 × dataset.minImages when that is more)`,
    )
    .option("--seed <n>", "seed of the synthetic parts", "1")
    .option("--camera-images <n>", "synthetic parts in the edge device's camera folder", "24")
    .option("--skip-training", "ship the committed demo model (models/demo) instead of training")
    .option(
      "--config <key=value>",
      "set a stack config key for this run (repeatable), e.g. training.epochs=20",
      (value: string, previous: string[] | undefined) => [...(previous ?? []), value],
    )
    .option("--edge-seconds <s>", "seconds to watch the deployed detector before the summary", "15")
    .option("--edge-interval <s>", "the detector's seconds between images (edge.intervalSeconds on devices)", "0")
    .option("--keep-running", "keep the broker and the detector running after the summary, until Ctrl-C")
    .option("--viewer-port <n>", "port of the live viewer of the detector's results (0: any free port)", "8080")
    .option("--no-viewer", "do not start the live viewer")
    .option("--json", "human output to stderr; stdout gets one JSON line at the end")
    .exitOverride()
    .configureOutput({ writeOut: (s) => env.stdout.write(s), writeErr: (s) => env.stderr.write(s) });
  try {
    program.parse(argv);
  } catch (error) {
    return error instanceof CommanderError && error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  }
  const flags = program.opts<Record<string, string | boolean | string[] | undefined>>();
  const json = Boolean(flags.json);
  const human = json ? env.stderr : env.stdout;
  const usage = (message: string) => {
    env.stderr.write(`npm start: ${message}\n`);
    return EXIT.usage;
  };

  const parsed = flagsSchema.safeParse(flags);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const got = flags[String(issue.path[0])];
    return usage(`${issue.message} (got ${JSON.stringify(got)})`);
  }
  const assignments: Record<string, string> = {};
  try {
    for (const text of (flags.config as string[] | undefined) ?? []) {
      const [key, value] = parseConfigAssignment(text);
      assignments[key] = value;
    }
  } catch (error) {
    if (error instanceof ConfigError) return usage(error.problems.join("; "));
    throw error;
  }
  const options: OfflineOptions = {
    projectDir: PROJECT_DIR,
    stack: parsed.data.stack,
    workDir: flags.stateDir ? path.resolve(String(flags.stateDir)) : undefined,
    clean: Boolean(flags.clean),
    dataset: parsed.data.dataset,
    images: parsed.data.images,
    seed: parsed.data.seed,
    cameraImages: parsed.data.cameraImages,
    skipTraining: Boolean(flags.skipTraining),
    config: assignments,
    edgeSeconds: parsed.data.edgeSeconds,
    edgeInterval: parsed.data.edgeInterval,
    keepRunning: Boolean(flags.keepRunning),
    viewerPort: flags.viewer === false ? null : parsed.data.viewerPort,
  };

  let result: OfflineResult;
  try {
    result = await runOffline(options, {
      print: (line) => human.write(`${line}\n`),
      untilStopped: env.untilStopped,
    });
  } catch (error) {
    if (error instanceof ConfigError) return usage(error.message);
    throw error;
  }
  if (json) env.stdout.write(`${JSON.stringify(jsonSummary(result))}\n`);
  return result.status === "SUCCEEDED" ? EXIT.ok : EXIT.failed;
}

if (require.main === module) {
  requireDeclaredRuntime("npm start");
  // Ctrl-C reaches the training and detector processes too (same process group) and ends them. While the run keeps
  // the detector running after its summary, Ctrl-C ends that normally; at any other time it ends the run at once.
  let keeping = false;
  let stop: () => void = () => undefined;
  process.on("SIGINT", () => {
    if (!keeping) process.exit(130);
    keeping = false;
    stop();
  });
  const untilStopped = () => {
    keeping = true;
    return new Promise<void>((resolve) => (stop = resolve));
  };
  main(process.argv, { stdout: process.stdout, stderr: process.stderr, untilStopped }).then(
    (code) => {
      process.exitCode = code;
      // Native handles (onnxruntime in the compile step) must not keep a finished run alive.
      setTimeout(() => process.exit(code), 500).unref();
    },
    (error: unknown) => {
      process.stderr.write(`npm start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(EXIT.failed);
    },
  );
}
