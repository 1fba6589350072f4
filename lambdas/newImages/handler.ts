import { createHash } from "node:crypto";
import { z } from "zod";
import { DATA_LAKE_PREFIXES, isImageKey } from "../../contracts/dataLake";
import type { PipelineInputFields } from "../../contracts/pipelineInput";
import { markPending, pendingImages } from "../../lib/pendingImages";
import type { ExecutionStarter, Log, ObjectStore, RunningExecutions } from "../../lib/ports";
import { parseEvent } from "../shared/events";

/** S3's "Object Created" event, as EventBridge delivers it when the bucket sends events to EventBridge. */
const objectCreatedSchema = z.object({
  source: z.literal("aws.s3"),
  "detail-type": z.literal("Object Created"),
  detail: z.object({ bucket: z.object({ name: z.string() }), object: z.object({ key: z.string().min(1) }) }),
});
/** The periodic check: an image that arrived alone still starts a run once it has waited long enough. */
const scheduledSchema = z.object({ source: z.literal("aws.events"), "detail-type": z.literal("Scheduled Event") });
export const newImagesEventSchema = z.discriminatedUnion("source", [objectCreatedSchema, scheduledSchema]);

export interface NewImagesSettings {
  stateMachineArn: string;
  /** Start a run once this many images are pending (config `trigger.newImages.minImages`). */
  minImages: number;
  /** ...or once the oldest pending image has waited this long (config `trigger.newImages.maxWaitMinutes`). */
  maxWaitMinutes: number;
}

export interface NewImagesDeps {
  objects: ObjectStore;
  pipeline: ExecutionStarter;
  running: RunningExecutions;
  settings: NewImagesSettings;
  log: Log;
  now?: () => Date;
}

export interface NewImagesResult {
  /** The image this event recorded as pending, if any. */
  recorded: string | null;
  pending: number;
  /** What the trigger did: nothing pending, still waiting, a run is going, or which run it started. */
  decision: "nothing-pending" | "waiting" | "busy" | "started" | "already-started";
  executionName?: string;
}

/**
 * The new-images trigger (docs/decisions.md, "A run costs what is new"): records each arriving image in the pending
 * index, then starts a training run once `minImages` are pending or the oldest has waited `maxWaitMinutes`. The run's
 * name comes from the oldest pending image and the current wait window, so the 500 invocations of a burst of 500
 * uploads all ask for the same run and Step Functions starts it once; while any run is going it starts none (that
 * run, or the next event or periodic check after it, takes the images).
 */
export async function newImages(event: unknown, deps: NewImagesDeps): Promise<NewImagesResult> {
  const { objects, settings, log } = deps;
  const parsed = parseEvent(newImagesEventSchema, event);
  let recorded: string | null = null;
  if (parsed.source === "aws.s3") {
    const { bucket, object } = parsed.detail;
    if (bucket.name !== objects.bucket || !isImageKey(object.key)) {
      log.info("not an image of the data lake; nothing to record", { bucket: bucket.name, key: object.key });
    } else {
      await markPending(objects, object.key);
      recorded = object.key;
    }
  }

  // Counting markers costs one LIST call per 1,000 pending images; labels are looked up by the run, not here.
  let count = 0;
  let oldest: { key: string; lastModified: Date } | undefined;
  for await (const image of pendingImages(objects, DATA_LAKE_PREFIXES.images)) {
    count += 1;
    if (!oldest || image.lastModified < oldest.lastModified) oldest = image;
  }
  const now = (deps.now ?? (() => new Date()))();
  const result = (decision: NewImagesResult["decision"], executionName?: string): NewImagesResult => {
    log.info("new-images trigger", { recorded, pending: count, decision, executionName });
    return { recorded, pending: count, decision, ...(executionName ? { executionName } : {}) };
  };
  if (!oldest) return result("nothing-pending");
  const waitMs = settings.maxWaitMinutes * 60_000;
  if (count < settings.minImages && now.getTime() - oldest.lastModified.getTime() < waitMs) return result("waiting");
  if ((await deps.running.list(settings.stateMachineArn)).length > 0) return result("busy");

  const name = runName(oldest.key, Math.floor(now.getTime() / waitMs));
  const input: PipelineInputFields = { mode: "train", trigger: "new-images" };
  const status = await deps.pipeline.start(name, input);
  return result(status, name);
}

/** `new-images-<10 hex of the oldest pending key>-<wait window>`: one run per oldest image and window. */
export function runName(oldestKey: string, window: number): string {
  return `new-images-${createHash("sha256").update(oldestKey).digest("hex").slice(0, 10)}-${window}`;
}
