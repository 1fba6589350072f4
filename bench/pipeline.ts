/**
 * `npm run bench:pipeline`: the numbers the pipeline is held to.
 * - State transitions of the happy path (Neo target, 3 compilation checks, 3 deployment checks), goal ≤ 60: the real
 *   definition run by aws-local-stepfunctions with the real Lambda handlers (test/harness/pipelineHarness.ts).
 * - Size of each Lambda bundle, goal ≤ 1 MB; the onnx compile function's onnxruntime library is shown apart.
 * - Time BuildDataset takes to split 100,000 label records (in memory, without S3 or Feature Store latency).
 * The last line is JSON: {"happyPathTransitions": N, "bundleBytes": {"<function>": N, ...}}.
 */
import "../test/setup";
import { readFileSync } from "node:fs";
import { deflateRawSync } from "node:zlib";
import { bundleLambda } from "../cloud/lambdaBundle";
import { buildDataset } from "../lambdas/buildDataset/handler";
import { functionSlug, PIPELINE_FUNCTIONS, STARTER_FUNCTION } from "../stateMachines/functions";
import { labelFor } from "../test/harness/labels";
import { MemoryLabelStore, MemoryObjectStore, recordingLog } from "../test/fakes/memoryPorts";
import { runPipeline } from "../test/harness/pipelineHarness";

const MB = 1024 * 1024;
const format = (bytes: number) => bytes.toLocaleString("en-US").padStart(12);

async function main() {
  const run = await runPipeline();
  if (run.output?.outcome !== "deployed")
    throw new Error(`the happy path did not deploy: ${JSON.stringify(run.error)}`);
  const neoChecks = run.path.filter((state) => state === "DescribeNeoCompilation").length;
  const deployChecks = run.path.filter((state) => state === "DescribeDeploymentJob").length;
  console.log(`happy path (Neo target, ${neoChecks} compilation checks, ${deployChecks} deployment checks):`);
  console.log(`  ${run.transitions} state transitions (goal <= 60)`);
  console.log(`  ${run.path.join(" > ")}`);

  const bundleBytes: Record<string, number> = {};
  console.log("\nLambda bundles (goal <= 1 MB each):");
  for (const [key, spec] of [...Object.entries(PIPELINE_FUNCTIONS), ["startPipeline", STARTER_FUNCTION] as const]) {
    const bundle = await bundleLambda(spec.entry);
    const name = functionSlug(key);
    bundleBytes[name] = bundle.codeBytes + bundle.nativeBytes;
    if (bundle.nativeBytes === 0) {
      console.log(
        `  ${name.padEnd(24)}${format(bundle.codeBytes)} bytes ${bundle.codeBytes <= MB ? "ok" : "OVER 1 MB"}`,
      );
      continue;
    }
    const zipped = [Buffer.from(bundle.code), ...Object.values(bundle.files).map((file) => readFileSync(file))].reduce(
      (sum, data) => sum + deflateRawSync(data).length,
      0,
    );
    console.log(
      `  ${name.padEnd(24)}${format(bundle.codeBytes)} bytes of JavaScript + ${format(bundle.nativeBytes).trim()} bytes of ` +
        `onnxruntime (linux-x64) = ${format(bundleBytes[name]).trim()} bytes, about ${(zipped / MB).toFixed(1)} MB zipped ` +
        "(reported apart: Lambda allows 50 MB zipped, 250 MB unzipped)",
    );
  }

  const objects = new MemoryObjectStore();
  const labels = new MemoryLabelStore();
  for (let i = 0; i < 100_000; i++) {
    const key = `images/line-1/${String(i).padStart(6, "0")}.jpg`;
    objects.put(key, "x");
    labels.records.set(labelFor(key).image_id, labelFor(key));
  }
  const started = process.hrtime.bigint();
  await buildDataset(
    { datasetId: "bench", classes: ["scratch"], minImages: 1 },
    { objects, labels, log: recordingLog() },
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  console.log(`\nBuildDataset split of 100000 label records: ${seconds.toFixed(2)} s (in memory, no AWS latency)\n`);

  console.log(JSON.stringify({ happyPathTransitions: run.transitions, bundleBytes }));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
