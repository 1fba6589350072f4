import { setTimeout as sleep } from "node:timers/promises";
import type { LocalExecutionResult } from "../localExecution";
import { clock } from "../report";
import type { EdgeWatch, ServedRun } from "./context";

/** After a deployment: watch the detector for a while, as an operator would. */
export async function watchEdge(run: ServedRun, execution: LocalExecutionResult): Promise<EdgeWatch> {
  const { options, print, services } = run;
  const deployment = services.greengrass.deployments.at(-1);
  const outcome = (execution.output?.outcome as string | undefined) ?? null;
  const deployed = outcome === "deployed" && deployment?.status === "SUCCEEDED";
  if (!deployed) return { outcome, deployed, deployment };
  print(`[${clock()}] watching the detector for ${options.edgeSeconds} s`);
  const from = Date.now();
  await sleep(options.edgeSeconds * 1000);
  const to = Date.now();
  const watched = { results: services.edgeResults.stats(from, to).results, seconds: (to - from) / 1000 };
  return { outcome, deployed, deployment, watched };
}
