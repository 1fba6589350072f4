import { createHash } from "node:crypto";

/**
 * Names of everything one run creates, derived from the execution alone: a retried state reuses the same names, and
 * a later execution with a reused name (Step Functions allows that after 90 days) still gets new ones, because the
 * start time is part of the hash. SageMaker job names: at most 63 characters of [a-zA-Z0-9-].
 */
export interface RunNames {
  labelingJob: string;
  verificationJob: string;
  trainingJob: string;
  compilationJob: string;
  /** Folder under `datasets/`. */
  dataset: string;
  /** Idempotency token of the Greengrass deployment (at most 64 characters). */
  deploymentToken: string;
  /** Idempotency token of the model package the run registers (SageMaker allows at most 36 characters). */
  modelPackageToken: string;
}

const MAX_JOB_NAME = 63;
const KINDS = { labelingJob: "label", verificationJob: "verify", trainingJob: "train", compilationJob: "neo" } as const;
type JobKind = keyof typeof KINDS;

/**
 * What a job name of one stack looks like: `<prefix>-<kind>-` followed by the slug of the execution name and a dash,
 * then the 8 hex digits of the hash (or only those). Cleanup finds a stack's jobs by this pattern.
 */
export function jobNamePattern(namePrefix: string, kind: JobKind): RegExp {
  const escaped = namePrefix.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`^${escaped}-${KINDS[kind]}-([a-z0-9]+(-[a-z0-9]+)*-)?[0-9a-f]{8}$`);
}

/** Execution names allow `_` and other characters that job names refuse. */
function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
}

export function runNames(namePrefix: string, executionName: string, startTime: string): RunNames {
  const hash = createHash("sha256").update(`${executionName}\n${startTime}`).digest("hex");
  const suffix = hash.slice(0, 8);
  const longestKind = Math.max(...Object.values(KINDS).map((kind) => kind.length));
  const room = MAX_JOB_NAME - namePrefix.length - longestKind - suffix.length - 3;
  const base = slug(executionName).slice(0, Math.max(room, 0)).replace(/-+$/, "");
  const middle = base ? `${base}-${suffix}` : suffix;
  const job = (kind: string) => `${namePrefix}-${kind}-${middle}`;
  return {
    labelingJob: job(KINDS.labelingJob),
    verificationJob: job(KINDS.verificationJob),
    trainingJob: job(KINDS.trainingJob),
    compilationJob: job(KINDS.compilationJob),
    dataset: middle,
    deploymentToken: hash.slice(0, 64),
    modelPackageToken: hash.slice(32, 64),
  };
}
