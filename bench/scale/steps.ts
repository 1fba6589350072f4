import { buildDataset } from "../../lambdas/buildDataset/handler";
import { findUnlabeledImages } from "../../lambdas/findUnlabeledImages/handler";
import { PIPELINE_FUNCTIONS } from "../../stateMachines/functions";
import { recordingLog } from "../../test/fakes/memoryPorts";
import { Meter, StepFigures } from "./meter";
import { labelingJobKeys } from "../../lib/labeling";
import { AthenaLikeEngine, OFFLINE_TABLE, offlineStore } from "./offlineStore";
import { SyntheticLake } from "./syntheticLake";

/** `buildDatasetEngine`: BuildDataset above `dataset.athenaAboveImages`, its split from Athena (DuckDB, charged as Athena). */
export const STEPS = ["findUnlabeledImages", "buildDataset", "buildDatasetEngine"] as const;
export type Step = (typeof STEPS)[number];

/** Runs one handler against a fresh synthetic lake of `stored` images, `fresh` of them new, and models its cost. */
export async function measureStep(step: Step, stored: number, fresh: number): Promise<StepFigures> {
  const meter = new Meter();
  const lake = new SyntheticLake(stored, fresh, meter);
  const deps = { objects: lake.objects(), labels: lake.labels(), log: recordingLog() };
  lake.numberOf(""); // the id index is the fake Feature Store's, not the handler's: built before the clock starts
  if (step === "findUnlabeledImages") {
    const started = process.hrtime.bigint();
    const result = await findUnlabeledImages(
      { imagesPrefix: "images/", maxImages: 1000, labelingJobName: "qi-bench-label-1" },
      deps,
    );
    if (result.selected !== Math.min(1000, fresh)) throw new Error(`selected ${result.selected} of ${fresh} new`);
    return meter.figures(secondsSince(started), PIPELINE_FUNCTIONS[step].memoryMb);
  }
  if (step === "buildDataset") {
    const started = process.hrtime.bigint();
    const result = await buildDataset({ datasetId: "bench", classes: ["scratch"], minImages: 1 }, deps);
    expectImages(result, stored - fresh);
    return meter.figures(secondsSince(started), PIPELINE_FUNCTIONS.buildDataset.memoryMb);
  }
  return measureEngineBuild(lake, meter, deps);
}

/**
 * BuildDataset above the threshold, after this run labeled the `fresh` images: Athena (DuckDB, charged as Athena)
 * answers for the older images, the label store for this run's own. DuckDB's own seconds are Athena's, modelled.
 */
async function measureEngineBuild(lake: SyntheticLake, meter: Meter, deps: Parameters<typeof buildDataset>[1]) {
  lake.freshLabeled = true;
  const selection = Array.from({ length: lake.fresh }, (_, i) => lake.key(lake.stored - lake.fresh + i));
  const selectionKey = labelingJobKeys("qi-bench-label-1").selection;
  const body = JSON.stringify(selection);
  lake.written.set(selectionKey, { body, bytes: body.length });
  const duckdb = await offlineStore(lake);
  const engine = new AthenaLikeEngine(duckdb, meter, lake.stored - lake.fresh);
  const heap = heapPeak();
  try {
    const started = process.hrtime.bigint();
    const event = { datasetId: "bench", classes: ["scratch"], minImages: 1, athenaAboveImages: 1 };
    const result = await buildDataset(
      { ...event, labelingJobName: "qi-bench-label-1" },
      { ...deps, splitEngine: { engine, table: OFFLINE_TABLE } },
    );
    const compute = secondsSince(started) - engine.engineSeconds;
    expectImages(result, lake.stored);
    return { ...meter.figures(compute, PIPELINE_FUNCTIONS.buildDataset.memoryMb), heapMb: heap.stop() };
  } finally {
    await engine.close();
  }
}

function expectImages(result: { counts: Record<string, number> }, images: number) {
  const total = result.counts.train + result.counts.validation + result.counts.test;
  if (total !== images) throw new Error(`the dataset holds ${total} images, not ${images}`);
}

const secondsSince = (started: bigint) => Number(process.hrtime.bigint() - started) / 1e9;

/** The heap's growth at its highest while the step runs (sampled; garbage not yet collected included). */
function heapPeak() {
  const before = process.memoryUsage().heapUsed;
  let peak = before;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().heapUsed)), 50);
  return {
    stop: () => {
      clearInterval(timer);
      return Math.round((Math.max(peak, process.memoryUsage().heapUsed) - before) / 2 ** 20);
    },
  };
}

/** Figures at `size` from two measured sizes, on the line through them (each figure is linear in the lake's size). */
export function extrapolate(a: [number, StepFigures], b: [number, StepFigures], size: number): StepFigures {
  const [n1, f1] = a;
  const [n2, f2] = b;
  const at = (v1: number, v2: number) => Math.max(0, v2 + ((v2 - v1) * (size - n2)) / (n2 - n1));
  const apis = new Set([...Object.keys(f1.calls), ...Object.keys(f2.calls)]) as Set<keyof StepFigures["calls"]>;
  return {
    seconds: at(f1.seconds, f2.seconds),
    dollars: at(f1.dollars, f2.dollars),
    calls: Object.fromEntries([...apis].map((api) => [api, Math.round(at(f1.calls[api] ?? 0, f2.calls[api] ?? 0))])),
  };
}
