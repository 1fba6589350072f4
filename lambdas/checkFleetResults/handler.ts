import { z } from "zod";
import { DATA_LAKE_PREFIXES } from "../../contracts/dataLake";
import { inferenceResultProblems } from "../../contracts/inferenceMessages";
import { FleetResultsMissingError } from "../../lib/errors";
import { parseModelManifest } from "../../lib/models";
import type { Log, ObjectStore } from "../../lib/ports";
import { readAll } from "../../lib/streams";
import { parseEvent } from "../shared/events";
import { parseJson } from "../shared/json";

export const checkFleetResultsEventSchema = z.object({
  /**
   * The model.json the deployment shipped: its `version` is what the detector names in every result. (The package's
   * version can differ: `npm start --skip-training` ships the committed demo model under a new package.)
   */
  manifestKey: z.string().min(1),
  /** Devices on which the IoT job succeeded. */
  devices: z.number().int().min(1),
  /** Results stored before this (ISO 8601; the run's start) cannot come from the new model. */
  since: z.iso.datetime({ offset: true }),
});
export type CheckFleetResultsEvent = z.input<typeof checkFleetResultsEventSchema>;

export interface CheckFleetResultsResult {
  /** Devices whose latest result is valid and comes from the new model. */
  healthy: string[];
  /** Other devices with a result: its problem (old model, invalid). */
  others: Record<string, string>;
}

/** Why a stored latest result does not show the new model running, or undefined when it does. */
function problemOf(body: unknown, modelVersion: string): string | undefined {
  const problems = inferenceResultProblems(body);
  if (problems.length > 0) return `invalid result: ${problems[0]}`;
  const version = (body as { modelVersion: string }).modelVersion;
  return version === modelVersion ? undefined : `its latest result is from model ${version}`;
}

/**
 * A deployment's IoT job succeeds once the components run; a detector can be running and still fail on every image.
 * So the run also wants, from as many devices as the job succeeded on, a latest result (stored by the IoT rule under
 * `device-results/<thing>.json`) that is valid and names the new model, stored since the run started. Throws
 * FleetResultsMissingError (retried by the state machine) until then.
 */
export async function checkFleetResults(
  event: unknown,
  { objects, log }: { objects: ObjectStore; log: Log },
): Promise<CheckFleetResultsResult> {
  const { manifestKey, devices, since } = parseEvent(checkFleetResultsEventSchema, event);
  const { version: modelVersion } = parseModelManifest(await readAll(await objects.read(manifestKey)), manifestKey);
  const healthy: string[] = [];
  const others: Record<string, string> = {};
  for await (const object of objects.list(DATA_LAKE_PREFIXES.deviceResults)) {
    if (!object.key.endsWith(".json") || object.lastModified < new Date(since)) continue;
    const thing = object.key.slice(DATA_LAKE_PREFIXES.deviceResults.length, -".json".length);
    const body = parseJson((await readAll(await objects.read(object.key))).toString("utf8"));
    const problem = problemOf(body, modelVersion);
    if (problem) others[thing] = problem;
    else healthy.push(thing);
  }
  if (healthy.length < devices) {
    const what = Object.entries(others).map(([thing, problem]) => `${thing}: ${problem}`);
    throw new FleetResultsMissingError(
      `${healthy.length} of the ${devices} devices the deployment reached published a valid result with model ` +
        `${modelVersion} since ${since}${what.length ? ` (${what.join("; ")})` : ""}`,
    );
  }
  log.info("the fleet runs the new model", { modelVersion, healthy });
  return { healthy, others };
}
