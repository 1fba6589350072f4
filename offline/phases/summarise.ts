import { stageElapsed } from "../../cli/render";
import { deviceImagesPrefix, isImageKey } from "../../contracts/dataLake";
import type { BuildDatasetResult } from "../../lambdas/buildDataset/handler";
import type { CompileOnnxResult } from "../../lambdas/compileOnnx/handler";
import type { EvaluateModelResult } from "../../lambdas/evaluateModel/handler";
import type { IngestLabelsResult } from "../../lambdas/ingestLabels/handler";
import {
  buildProgress,
  failedState,
  fromLocalEventLog,
  StageProgress,
  stageProgress,
} from "../../stateMachines/progress";
import { STATES } from "../../stateMachines/qualityInspection";
import { PIPELINE_STAGES } from "../../stateMachines/stages";
import type { LocalStack } from "../localStack";
import { printSummary } from "../report";
import type { OfflineResult } from "../run";
import type { EdgeWatch, Executed, ServedRun } from "./context";

const seconds = (ms: number | undefined) => (ms === undefined ? null : Math.round(ms / 100) / 10);

/**
 * The end of a run: its result, the summary for people, and — with `--keep-running` after a deployment — the
 * detector left publishing until the run is stopped.
 */
export async function summarise(run: ServedRun, executed: Executed, watch: EdgeWatch): Promise<OfflineResult> {
  const { options, environment, print, config, stack, services } = run;
  const progress = buildProgress(fromLocalEventLog(executed.execution.events));
  const stages = stageProgress(progress, PIPELINE_STAGES);
  const ingest = executed.results.get(STATES.ingestLabels) as IngestLabelsResult | undefined;
  const result = offlineResult(run, executed, watch, {
    stages,
    failed: failedState(progress, PIPELINE_STAGES),
    ingest,
  });
  // What the edge counted so far is what the buffer took so far (both synchronously, on each message): stored alike.
  const { inspections, errors } = services.resultsStore.added;
  const storing = services.resultsStore.flush();
  const keepRunning = options.keepRunning && watch.deployed && environment.untilStopped;
  // The detector stopped first, so no image it sends back lands after the count (kept running: a snapshot).
  if (!keepRunning) await services.greengrass.close();
  result.sentForLabeling = await countSentForLabeling(stack, services.thingName);
  await storing;
  result.stored = { results: inspections, errors };
  printSummary(print, result, { stages, ingest, thingName: services.thingName, edgeSeconds: options.edgeSeconds });
  if (keepRunning) {
    print(`the detector keeps publishing to ${services.broker.url} (topic ${config.edge.topic}/#); Ctrl-C stops it`);
    await environment.untilStopped!();
  }
  return result;
}

/** What the run did, from the execution's events, the Tasks' results, the local services and the edge watch. */
function offlineResult(
  run: ServedRun,
  executed: Executed,
  watch: EdgeWatch,
  progress: { stages: StageProgress[]; failed: ReturnType<typeof failedState>; ingest?: IngestLabelsResult },
): OfflineResult {
  const { execution, results, notifications } = executed;
  const { outcome, deployed, deployment, watched } = watch;
  const { training, trainingMode, edgeResults, viewer } = run.services;
  const { stages, failed, ingest } = progress;
  const evaluation = results.get(STATES.evaluateModel) as EvaluateModelResult | undefined;
  const compiled = results.get(STATES.optimiseOnnx) as CompileOnnxResult | undefined;
  const job = training.jobs.at(-1);
  const all = edgeResults.stats();
  return {
    status: execution.status,
    outcome,
    executionArn: execution.executionArn,
    path: execution.events.filter((e) => e.type === "StateEntered").map((e) => e.state?.name ?? "?"),
    stages: stages.map((s) => ({ name: s.name, status: s.status, seconds: seconds(stageElapsed(s, Date.now())) })),
    failure:
      execution.status === "FAILED"
        ? {
            state: failed?.name ?? "?",
            error: failed?.error ?? execution.error?.Error ?? "",
            cause: failed?.cause ?? execution.error?.Cause ?? "",
          }
        : null,
    data: run.data,
    labeled: ingest?.approved ?? 0,
    dataset: datasetOf(results.get(STATES.buildDataset) as BuildDatasetResult | undefined),
    evaluation: evaluation
      ? {
          passed: evaluation.passed,
          approvalStatus: evaluation.approvalStatus,
          reason: evaluation.reason,
          metrics: evaluation.metrics,
        }
      : null,
    map50_95: evaluation?.metrics.validation.map50_95 ?? null,
    training: job
      ? {
          mode: job.mode,
          seconds: job.seconds,
          reason: trainingMode.kind === "demo-model" ? trainingMode.reason : undefined,
          log: job.log,
        }
      : null,
    compiled: compiled
      ? {
          goldenImages: compiled.goldenImages,
          maxAbsDiff: compiled.maxAbsDiff,
          originalBytes: compiled.originalBytes,
          optimisedBytes: compiled.optimisedBytes,
        }
      : null,
    deployed,
    deployment: deployment
      ? {
          componentVersion: deployment.components[run.names.model] ?? "",
          modelVersion: deployment.modelVersion,
          status: deployment.status,
          reason: deployment.reason,
          secondsToFirstResult: seconds(deployment.firstResultAt && deployment.firstResultAt - deployment.startedAt),
        }
      : null,
    viewerUrl: viewer?.url ?? null,
    sentForLabeling: 0,
    detectionsReceived: all.results,
    detectionsPerSecond: watched ? Math.round((watched.results / watched.seconds) * 10) / 10 : null,
    edge: {
      results: all.results,
      detections: all.detections,
      withDetections: all.withDetections,
      errors: all.errors,
      invalid: all.invalid.length,
    },
    stored: { results: 0, errors: 0 },
    notifications,
    changes: run.changes,
    workDir: run.workDir,
    wallSeconds: seconds(Date.now() - run.started) ?? 0,
  };
}

/** Images the device has sent back for labeling so far (their metadata files beside them do not count). */
async function countSentForLabeling(stack: LocalStack, thingName: string): Promise<number> {
  let count = 0;
  for await (const object of stack.objects.list(deviceImagesPrefix(thingName))) if (isImageKey(object.key)) count++;
  return count;
}

function datasetOf(built: BuildDatasetResult | undefined): OfflineResult["dataset"] {
  return built ? { ...built.counts, splitBy: built.splitBy } : null;
}
