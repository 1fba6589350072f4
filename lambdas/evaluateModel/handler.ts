import { z } from "zod";
import { MODEL_MANIFEST_FILE, ModelManifest } from "../../contracts/modelManifest";
import { ModelArtifactError } from "../../lib/errors";
import { parseEvent } from "../shared/events";
import { modelKeys, parseModelManifest } from "../../lib/models";
import type { Log, ObjectStore } from "../../lib/ports";
import { ChampionComparison, compareWithChampion, ComparisonDeps } from "./champion";
import { keyInBucket, s3Uri } from "../../lib/s3Uri";
import { createTarGz, readTarEntries, TarFormatError } from "../../lib/tar";

export const APPROVAL_STATUSES = ["Approved", "PendingManualApproval"] as const;

export const evaluateModelEventSchema = z.object({
  /** SageMaker's `model.tar.gz` of the training job. */
  modelDataUrl: z.string().startsWith("s3://"),
  trainingJobName: z.string().min(1),
  datasetId: z.string().min(1),
  minMap50_95: z.number().min(0).max(1),
  /** How much worse than the deployed model on the test split the new one may be (config `evaluation.maxRegression`). */
  maxRegression: z.number().min(0).max(1).default(0.02),
  /** Status of a model that passes the gate (config `registry.approvalStatus`). */
  approvalStatus: z.enum(APPROVAL_STATUSES),
});
export type EvaluateModelEvent = z.input<typeof evaluateModelEventSchema>;

export interface EvaluateModelResult {
  passed: boolean;
  approvalStatus: "Approved" | "PendingManualApproval" | "Rejected";
  /** One sentence for people: the metric, the threshold, the decision. */
  reason: string;
  metrics: ModelManifest["metrics"];
  /** The new model and the deployed one on the dataset's test split; null when the split has no images. */
  comparison: (ChampionComparison & { maxRegression: number }) | null;
  modelVersion: string;
  evaluationUri: string;
  /** CustomerMetadataProperties of the model package: what a later deploy run needs to compile and ship the model. */
  metadata: Record<string, string>;
}

const gateFormat = (value: number) => value.toFixed(3);

/** The gate: the validation floor, then (when a model is deployed) no regression on the test split beyond the margin. */
function decide(
  validationMap: number,
  minMap50_95: number,
  comparison: ChampionComparison | undefined,
  maxRegression: number,
): { passed: boolean; reason: string } {
  const validation = `validation mAP50-95 ${gateFormat(validationMap)}`;
  if (validationMap < minMap50_95)
    return {
      passed: false,
      reason: `${validation} is below the threshold ${gateFormat(minMap50_95)} (evaluation.minMap50_95)`,
    };
  const floor = `${validation} reaches the threshold ${gateFormat(minMap50_95)}`;
  if (!comparison) return { passed: true, reason: floor };
  const challenger = `test mAP50-95 ${gateFormat(comparison.challengerTestMap50_95)}`;
  const { champion } = comparison;
  if (!champion) return { passed: true, reason: `${floor}; ${challenger}, no deployed model to compare with` };
  const theirs = `the deployed model's ${gateFormat(champion.testMap50_95)} (${champion.modelVersion})`;
  if (comparison.challengerTestMap50_95 < champion.testMap50_95 - maxRegression - 1e-12)
    return {
      passed: false,
      reason: `${challenger} is worse than ${theirs} by more than ${gateFormat(maxRegression)} (evaluation.maxRegression)`,
    };
  return { passed: true, reason: `${floor}; ${challenger} against ${theirs}` };
}

/** zlib's own words for what it found, turned into what it means for a model archive. */
const GZIP_PROBLEMS: Record<string, string> = {
  Z_DATA_ERROR: "not gzip data",
  Z_BUF_ERROR: "the gzip data is cut short",
};

/**
 * `model.json` and the ONNX files of a training output. An archive that is not a gzip'd tar (or is cut short) is a
 * `ModelArtifactError` naming the archive and what was wrong; a failure to read the object is left as it is (it may be
 * transient).
 */
async function modelFiles(objects: ObjectStore, modelDataUrl: string): Promise<Map<string, Buffer>> {
  const wanted = (name: string) => name === MODEL_MANIFEST_FILE || name.endsWith(".onnx");
  const stream = await objects.read(keyInBucket(modelDataUrl, objects.bucket));
  try {
    return await readTarEntries(stream, wanted);
  } catch (error) {
    const { message, code } = error as Error & { code?: unknown };
    const gzipProblem = typeof code === "string" && code.startsWith("Z_");
    if (error instanceof TarFormatError || gzipProblem) {
      const what = gzipProblem ? `${GZIP_PROBLEMS[code] ?? "not readable gzip data"} (zlib: ${message})` : message;
      throw new ModelArtifactError(`${modelDataUrl} is not a gzip'd tar: ${what}`, { cause: error });
    }
    throw error;
  }
}

/**
 * Reads `model.json` (and the ONNX file it names) out of the training output, decides the quality gate on the
 * validation mAP50-95, and lays the model out for the later stages: the plain files, a Neo input archive and the
 * evaluation report that the model registry links to.
 */
export async function evaluateModel(event: unknown, deps: ComparisonDeps & { log: Log }) {
  const { objects, log } = deps;
  const { modelDataUrl, trainingJobName, datasetId, minMap50_95, maxRegression, approvalStatus } = parseEvent(
    evaluateModelEventSchema,
    event,
  );
  const entries = await modelFiles(objects, modelDataUrl);
  const manifestBytes = entries.get(MODEL_MANIFEST_FILE);
  if (!manifestBytes) throw new ModelArtifactError(`${modelDataUrl} has no ${MODEL_MANIFEST_FILE}`);
  const manifest = parseModelManifest(manifestBytes, modelDataUrl);
  const onnx = entries.get(manifest.file);
  if (!onnx)
    throw new ModelArtifactError(`${modelDataUrl} has no ${manifest.file}, which ${MODEL_MANIFEST_FILE} names`);

  const validation = manifest.metrics.validation;
  const compared = await compareWithChampion(deps, datasetId, { model: onnx, manifest });
  const { passed, reason } = decide(validation.map50_95, minMap50_95, compared, maxRegression);
  const status = passed ? approvalStatus : "Rejected";
  const comparison = compared ? { ...compared, maxRegression } : null;

  const keys = modelKeys(trainingJobName);
  await objects.write(keys.onnx, onnx, "application/octet-stream");
  await objects.write(keys.manifest, manifestBytes, "application/json");
  await objects.write(keys.neoInput, createTarGz([{ name: manifest.file, data: onnx }]), "application/gzip");
  const evaluation = {
    modelVersion: trainingJobName,
    datasetId,
    threshold: minMap50_95,
    passed,
    reason,
    metrics: manifest.metrics,
    comparison,
  };
  await objects.write(keys.evaluation, JSON.stringify(evaluation, null, 2), "application/json");

  const { name, width, height } = manifest.input;
  const metadata: Record<string, string> = {
    registeredAs: status,
    modelVersion: trainingJobName,
    datasetId,
    dataHash: manifest.training?.dataHash ?? "",
    validationMap50_95: String(validation.map50_95),
    validationMap50: String(validation.map50),
    threshold: String(minMap50_95),
    gate: reason,
    modelKey: keys.onnx,
    manifestKey: keys.manifest,
    neoInputUri: s3Uri(objects.bucket, keys.neoInput),
    // Neo's DataInputConfig for ONNX: input name → NCHW shape.
    neoDataInputConfig: JSON.stringify({ [name]: [1, 3, height, width] }),
    ...(comparison && {
      testImages: String(comparison.testImages),
      challengerTestMap50_95: String(comparison.challengerTestMap50_95),
      championTestMap50_95: String(comparison.champion?.testMap50_95 ?? "none"),
      championModelVersion: comparison.champion?.modelVersion ?? "none",
    }),
  };
  log.info("model evaluated", { trainingJobName, passed, status, reason });
  return {
    passed,
    approvalStatus: status,
    reason,
    metrics: manifest.metrics,
    comparison,
    modelVersion: trainingJobName,
    evaluationUri: s3Uri(objects.bucket, keys.evaluation),
    metadata,
  } satisfies EvaluateModelResult;
}
