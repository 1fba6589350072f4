import { buildDataset } from "../../lambdas/buildDataset/handler";
import { findUnlabeledImages } from "../../lambdas/findUnlabeledImages/handler";
import { PIPELINE_FUNCTIONS } from "../../stateMachines/functions";
import { recordingLog } from "../../test/fakes/memoryPorts";
import { Meter, StepFigures } from "./meter";
import { SyntheticLake } from "./syntheticLake";

export const STEPS = ["findUnlabeledImages", "buildDataset"] as const;
export type Step = (typeof STEPS)[number];

/** Runs one handler against a fresh synthetic lake of `stored` images, `fresh` of them new, and models its cost. */
export async function measureStep(step: Step, stored: number, fresh: number): Promise<StepFigures> {
  const meter = new Meter();
  const lake = new SyntheticLake(stored, fresh, meter);
  const deps = { objects: lake.objects(), labels: lake.labels(), log: recordingLog() };
  lake.numberOf(""); // the id index is the fake Feature Store's, not the handler's: built before the clock starts
  const started = process.hrtime.bigint();
  if (step === "findUnlabeledImages") {
    const result = await findUnlabeledImages(
      { imagesPrefix: "images/", maxImages: 1000, labelingJobName: "qi-bench-label-1" },
      deps,
    );
    if (result.selected !== Math.min(1000, fresh)) throw new Error(`selected ${result.selected} of ${fresh} new`);
  } else {
    const result = await buildDataset({ datasetId: "bench", classes: ["scratch"], minImages: 1 }, deps);
    const total = result.counts.train + result.counts.validation + result.counts.test;
    if (total !== stored - fresh) throw new Error(`the dataset holds ${total} images, not ${stored - fresh}`);
  }
  const compute = Number(process.hrtime.bigint() - started) / 1e9;
  return meter.figures(compute, PIPELINE_FUNCTIONS[step].memoryMb);
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
