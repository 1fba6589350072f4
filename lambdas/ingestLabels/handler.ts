import { setTimeout as wait } from "node:timers/promises";
import { z } from "zod";
import type { LabelRecord } from "../../contracts/labelRecord";
import { LabelStoreThrottledError, NoValidLabelsError } from "../../lib/errors";
import { parseEvent } from "../shared/events";
import { labelingJobKeys } from "../../lib/labeling";
import type { LabelStore, Log, ObjectStore } from "../../lib/ports";
import { keyInBucket } from "../../lib/s3Uri";
import { clearPending } from "../../lib/pendingImages";
import { lines, mapConcurrently } from "../../lib/streams";
import { labelFromLine, RejectionCode } from "./groundTruth";

export const ingestLabelsEventSchema = z.object({
  /** The output manifest of the labeling job, or of its verification job. */
  manifestUri: z.string().startsWith("s3://"),
  labelingJobName: z.string().min(1),
  classes: z.array(z.string().min(1)).min(1),
  verified: z.boolean(),
});
export type IngestLabelsEvent = z.input<typeof ingestLabelsEventSchema>;

export interface IngestLabelsResult {
  lines: number;
  /** Records written to the label store (approved and, after verification, rejected ones). */
  ingested: number;
  approved: number;
  /** Labels that verification judged wrong: stored as REJECTED, so the images are labeled again next time. */
  rejectedByVerification: number;
  /** Boxes that ran past their image's edge, stored clipped to it; every one is listed in the report. */
  clippedBoxes: number;
  /** Lines that produced no record, by reason; every one is listed in the report. */
  rejected: number;
  rejectedByReason: Partial<Record<RejectionCode, number>>;
  reportKey: string;
}

export interface IngestLabelsDeps {
  objects: ObjectStore;
  labels: LabelStore;
  log: Log;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

const WRITE_CONCURRENCY = 8;
const MAX_WRITE_ATTEMPTS = 6;

/** Writes one record, backing off while the label store throttles. */
async function putWithBackoff(labels: LabelStore, record: LabelRecord, sleep: (ms: number) => Promise<void>) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await labels.put(record);
    } catch (error) {
      if (!(error instanceof LabelStoreThrottledError) || attempt === MAX_WRITE_ATTEMPTS) throw error;
      await sleep(100 * 2 ** attempt * (0.5 + Math.random() / 2));
    }
  }
}

/**
 * Streams a Ground Truth output manifest into the label store. Bad lines are reported (in the result and in
 * `ingest-report.json` next to the job's files) and skipped; only a manifest without a single usable line fails.
 * Writing a record twice stores the same record, so the state machine may retry the whole step.
 */
export async function ingestLabels(event: unknown, deps: IngestLabelsDeps): Promise<IngestLabelsResult> {
  const { objects, labels, log } = deps;
  const sleep = deps.sleep ?? wait;
  const { manifestUri, labelingJobName, classes, verified } = parseEvent(ingestLabelsEventSchema, event);
  const context = { bucket: objects.bucket, classes, labelingJobName, verified, now: (deps.now ?? Date.now)() / 1000 };

  const rejections: { line: number; code: RejectionCode; detail: string; sourceRef?: string }[] = [];
  const clipped: { line: number; sourceRef: string; boxes: number[] }[] = [];
  const records: LabelRecord[] = [];
  let lineCount = 0;
  for await (const text of lines(await objects.read(keyInBucket(manifestUri, objects.bucket)))) {
    if (text.trim() === "") continue;
    lineCount += 1;
    const result = labelFromLine(text, context);
    if (!("record" in result)) {
      rejections.push({ line: lineCount, ...result });
      continue;
    }
    records.push(result.record);
    if (result.clippedBoxes.length > 0) {
      clipped.push({ line: lineCount, sourceRef: result.record.source_ref, boxes: result.clippedBoxes });
    }
  }
  const clippedBoxes = clipped.reduce((sum, entry) => sum + entry.boxes.length, 0);

  const rejectedByReason: Partial<Record<RejectionCode, number>> = {};
  for (const { code } of rejections) rejectedByReason[code] = (rejectedByReason[code] ?? 0) + 1;
  const reportKey = labelingJobKeys(labelingJobName).ingestReport;
  await objects.write(
    reportKey,
    JSON.stringify(
      { manifestUri, lines: lineCount, ingested: records.length, clippedBoxes, clipped, rejectedByReason, rejections },
      null,
      1,
    ),
    "application/json",
  );
  if (records.length === 0) {
    throw new NoValidLabelsError(
      lineCount === 0
        ? `${manifestUri} has no labels`
        : `none of the ${lineCount} lines of ${manifestUri} is a usable label (${JSON.stringify(rejectedByReason)}); see ${reportKey}`,
    );
  }

  await mapConcurrently(records, WRITE_CONCURRENCY, (record) => putWithBackoff(labels, record, sleep));
  // Approved images leave the pending index; rejected ones stay in it, to be labeled again.
  const approvedRecords = records.filter((r) => r.status === "APPROVED");
  await clearPending(
    objects,
    approvedRecords.map((r) => keyInBucket(r.source_ref, objects.bucket)),
  );
  const approved = approvedRecords.length;
  const result: IngestLabelsResult = {
    lines: lineCount,
    ingested: records.length,
    approved,
    rejectedByVerification: records.length - approved,
    clippedBoxes,
    rejected: rejections.length,
    rejectedByReason,
    reportKey,
  };
  if (rejections.length > 0) log.warn("some labels were rejected", { rejectedByReason, reportKey });
  if (clippedBoxes > 0) log.warn("boxes past the image edge were clipped to it", { clippedBoxes, reportKey });
  log.info("labels ingested", { ...result });
  return result;
}
