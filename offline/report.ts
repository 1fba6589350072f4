import * as path from "node:path";
import { formatDuration, renderStageTable } from "../cli/render";
import type { SplitMetrics } from "../contracts/modelManifest";
import type { IngestLabelsResult } from "../lambdas/ingestLabels/handler";
import type { StageProgress } from "../stateMachines/progress";
import type { OfflineResult } from "./run";

export type Print = (line: string) => void;

export const clock = () => new Date().toISOString().slice(11, 19);

/** A path as people read it: relative to the current folder when inside it. */
export function displayPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative && !relative.startsWith("..") ? relative : file;
}

/**
 * The training job's own lines; Python's warnings (a `file.py:N: …Warning:` line and the source line after it) and
 * the `metric:` lines meant for the metric definitions stay in the job's log (`sagemaker/training/<job>/training.log`).
 */
export function trainingLinePrinter(print: Print): (line: string) => void {
  let inWarning = false;
  return (line) => {
    if (inWarning && line.startsWith("  ")) return;
    inWarning = /^\S+\.py:\d+: \w*Warning: /.test(line);
    if (inWarning || line.startsWith("metric: ")) return;
    print(`  training │ ${line}`);
  };
}

/** Lines of the detector that say what it is doing; the per-image lines after the first few are counted instead. */
export function detectorLinePrinter(print: Print): (line: string) => void {
  let imageLines = 0;
  return (line) => {
    const perImage = /^\S+\.(jpe?g|png|bmp) \d+x\d+:/i.test(line);
    if (perImage && ++imageLines > 3) return;
    print(`  edge │ ${line}`);
  };
}

export interface SummaryContext {
  stages: StageProgress[];
  ingest?: IngestLabelsResult;
  thingName: string;
  edgeSeconds: number;
}

/** The end of a run for people: how it ended, the stage table, then one line per thing the run produced. */
export function printSummary(print: Print, result: OfflineResult, context: SummaryContext): void {
  const row = (name: string, text: string) => print(`  ${name.padEnd(11)} ${text}`);
  const fixed = (n: number) => n.toFixed(3);
  /** An mAP with its 95 % bootstrap interval when the manifest has one: `0.561 (95% CI 0.512-0.608)`. */
  const withInterval = (metrics: SplitMetrics, name: "map50_95" | "map50") => {
    const bounds = metrics.interval?.[name];
    return bounds ? `${fixed(metrics[name])} (95% CI ${fixed(bounds[0])}-${fixed(bounds[1])})` : fixed(metrics[name]);
  };
  const took = formatDuration(result.wallSeconds * 1000);
  print("");
  print(result.status === "SUCCEEDED" ? `SUCCEEDED in ${took}: ${result.outcome}` : `FAILED after ${took}`);
  if (result.failure) {
    print(`failed state: ${result.failure.state}`);
    print(`error: ${result.failure.error}`);
    print(`cause: ${result.failure.cause}`);
  }
  for (const line of renderStageTable(context.stages, Date.now())) print(`  ${line}`);

  const { ingest } = context;
  const rejected = ingest?.rejected
    ? ` (${ingest.rejected} lines rejected: ${JSON.stringify(ingest.rejectedByReason)})`
    : "";
  row("labeled", ingest ? `${ingest.approved} images this run${rejected}` : "nothing new to label");
  if (result.dataset) {
    const { train, validation, test, splitBy } = result.dataset;
    const by = splitBy === "query" ? " (split by DuckDB over the label store, as Athena in AWS)" : "";
    row("dataset", `train ${train}, validation ${validation}, test ${test} images${by}`);
  }
  if (result.training) {
    const { mode, seconds, reason, log } = result.training;
    row(
      "training",
      mode === "python"
        ? `train.py on the CPU, ${formatDuration(seconds * 1000)} (log: ${displayPath(log ?? "")})`
        : `none (${reason}): the demo model, with the metrics of its own training on the real sample data`,
    );
  }
  if (result.evaluation) {
    const { validation, test } = result.evaluation.metrics;
    row(
      "model",
      `validation mAP50-95 ${withInterval(validation, "map50_95")}, mAP50 ${withInterval(validation, "map50")}` +
        `${test ? `; test mAP50-95 ${withInterval(test, "map50_95")}` : ""} → ${result.evaluation.approvalStatus}`,
    );
    row("gate", result.evaluation.reason);
    if (result.outcome === "awaiting-approval") {
      row(
        "approval",
        "in AWS a person approves the package in the model registry, which starts a deploy run; " +
          "--config registry.approvalStatus=Approved deploys what passes the gate offline",
      );
    }
  }
  if (result.compiled) {
    const { goldenImages, maxAbsDiff, originalBytes, optimisedBytes } = result.compiled;
    const difference = maxAbsDiff === 0 ? "0" : maxAbsDiff.toExponential(1);
    row(
      "compile",
      `onnxruntime "extended": outputs on ${goldenImages} golden images agree (max |Δ| ${difference} ≤ 1e-3); ` +
        `${(originalBytes / 1e6).toFixed(1)} MB → ${(optimisedBytes / 1e6).toFixed(1)} MB`,
    );
  }
  const { deployment } = result;
  if (deployment) {
    const how =
      deployment.status === "SUCCEEDED"
        ? `first valid result ${deployment.secondsToFirstResult} s after CreateDeployment`
        : `${deployment.status.toLowerCase()}${deployment.reason ? `: ${deployment.reason}` : ""}`;
    row(
      "deployment",
      `model component ${deployment.componentVersion} (${deployment.modelVersion}) on ${context.thingName}: ${how}`,
    );
  } else {
    row("deployment", "none");
  }
  const { edge } = result;
  row(
    "edge",
    `${result.detectionsReceived} results received (${edge.withDetections} with scratches, ${edge.detections} boxes), ` +
      `${edge.errors} errors, ${edge.invalid} invalid messages` +
      (result.detectionsPerSecond !== null
        ? `; ${result.detectionsPerSecond} results/s over ${context.edgeSeconds} s`
        : ""),
  );
  const { stored } = result;
  const rate = edge.results > 0 ? `${((edge.withDetections / edge.results) * 100).toFixed(1)} %` : "–";
  row(
    "results",
    `${stored.results} stored under results/ — defect rate ${rate} ` +
      `(query: npm run pipeline -- results --state-dir ${displayPath(result.workDir)})`,
  );
  if (result.sentForLabeling > 0) {
    row(
      "sent back",
      `${result.sentForLabeling} camera images the detector was unsure about are in the data lake under ` +
        `images/devices/${context.thingName}/: the next \`npm start\` sends them to labeling`,
    );
  }
  if (result.viewerUrl) row("viewer", `${result.viewerUrl} (live while the run lasts; --keep-running keeps it)`);
  row("state", `${displayPath(result.workDir)}/ (bucket/, label-store/, model-registry.json, greengrass/)`);
  row("wall time", took);
}
