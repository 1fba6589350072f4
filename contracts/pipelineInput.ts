import { z } from "zod";
import { DATA_LAKE_PREFIXES } from "./dataLake";

/**
 * What a run of the quality-inspection state machine accepts as input and reports as output. The state machine's first
 * state validates its input with `pipelineInputSchema`, and so does every tool that starts a run.
 */

/** `train`: label new images, build the dataset, train, gate, compile, deploy. `deploy`: compile and deploy a model package. */
export const PIPELINE_MODES = ["train", "deploy"] as const;
/** Why the run started: by hand, by the schedule, a model package approved in the registry, or new images. */
export const PIPELINE_TRIGGERS = ["manual", "schedule", "model-approved", "new-images"] as const;

const imagesPrefix = z
  .string()
  .refine(
    (prefix) =>
      prefix.startsWith(DATA_LAKE_PREFIXES.images) && prefix.endsWith("/") && !prefix.split("/").includes(".."),
    `must be a folder under ${DATA_LAKE_PREFIXES.images} ending in / (for example images/line-1/)`,
  );

const modelPackageArn = z
  .string()
  .regex(
    /^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:\d{12}:model-package\/[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}\/\d+$/,
    "must be the ARN of a versioned model package (arn:aws:sagemaker:<region>:<account>:model-package/<group>/<version>)",
  );

const trigger = z.enum(PIPELINE_TRIGGERS).default("manual");

const trainInputSchema = z.strictObject({
  mode: z.literal("train"),
  trigger,
  /** Only images under this folder are sent to labeling; the dataset always uses every labeled image. */
  imagesPrefix: imagesPrefix.default(DATA_LAKE_PREFIXES.images),
  /** Train on the labels already in the label store, without a labeling job. */
  skipLabeling: z.boolean().default(false),
});

const deployInputSchema = z.strictObject({
  mode: z.literal("deploy"),
  trigger,
  modelPackageArn,
});

/** The run input; `{}` is a manual training run over all of `images/`. Unknown fields are rejected by name. */
export const pipelineInputSchema = z.preprocess(
  (input) => (input && typeof input === "object" && !("mode" in input) ? { ...input, mode: "train" } : input),
  z.discriminatedUnion("mode", [trainInputSchema, deployInputSchema]),
);
export type PipelineInput = z.output<typeof pipelineInputSchema>;
export type PipelineInputFields = z.input<typeof trainInputSchema> | z.input<typeof deployInputSchema>;

/**
 * How a successful run ended (`outcome` in the output). A failed run ends in the `PipelineFailed` state with the
 * failed state's error and cause, after a notification to the alerts topic.
 * - `deployed`: the model runs on the fleet.
 * - `rejected`: the model missed the quality gate (or the package was rejected); it is registered as Rejected.
 * - `awaiting-approval`: registered as PendingManualApproval; approving it in the registry starts a deploy run.
 * - `skipped`: an approval event for a package its training run had already approved and deployed itself.
 * - `queued`: a scheduled or approval-triggered run found another run going; it is queued in the data lake
 *   (`run-queue/`) and started again when that run ends.
 */
export const PIPELINE_OUTCOMES = ["deployed", "rejected", "awaiting-approval", "skipped", "queued"] as const;
export type PipelineOutcome = (typeof PIPELINE_OUTCOMES)[number];

/** The parts of a run's output every outcome has; each stage adds its own section (see docs/contracts.md). */
export const pipelineOutputSchema = z.looseObject({
  outcome: z.enum(PIPELINE_OUTCOMES),
  run: z.looseObject({
    mode: z.enum(PIPELINE_MODES),
    trigger: z.enum(PIPELINE_TRIGGERS),
    executionName: z.string(),
  }),
});
export type PipelineOutput = z.infer<typeof pipelineOutputSchema>;
