import { z } from "zod";
import { THING_NAME } from "../../contracts/awsNames";
import { DEVICE_DIMENSION, RESULT_METRICS, RESULT_METRICS_NAMESPACE, ResultMetric } from "../../lib/results/metrics";

/**
 * What the IoT rules hand the function: the row they store (the MQTT message, with the lifted columns for results).
 * Only the fields the metrics need are read; the payload contract was checked by the device, and Firehose keeps the
 * message whatever this function thinks of it.
 */
const messageSchema = z.object({
  thingName: z.string().regex(THING_NAME),
  timestamp: z.iso.datetime(),
  /** Results carry their detections; error messages carry a code instead. */
  inference_results: z.tuple([z.tuple([z.array(z.number()), z.array(z.number()), z.array(z.unknown())])]).optional(),
  code: z.string().optional(),
});

export class NotAResultError extends Error {
  override name = "NotAResultError";
}

/** EMF accepts times up to two weeks old and two hours ahead; a message outside that counts when it arrives. */
const MAX_AGE_MS = 14 * 24 * 3_600_000 - 60_000;
const MAX_AHEAD_MS = 2 * 3_600_000 - 60_000;

/**
 * One embedded-metric-format document for a message: the device's Inspections, FailedParts and Errors (0 or 1 each),
 * at the time the part was inspected, so results the device's outbox delivers late still land in their own minute.
 */
export function metricsDocument(event: unknown, now: number): Record<string, unknown> {
  const parsed = messageSchema.safeParse(event);
  if (!parsed.success || (parsed.data.inference_results === undefined) === (parsed.data.code === undefined)) {
    const problem = parsed.success ? "exactly one of inference_results and code" : parsed.error.issues[0].message;
    throw new NotAResultError(`not a result or error message of the contract: ${problem}`);
  }
  const message = parsed.data;
  const isResult = message.inference_results !== undefined;
  const values: Record<ResultMetric, number> = {
    inspections: isResult ? 1 : 0,
    failedParts: isResult && message.inference_results![0][0].length > 0 ? 1 : 0,
    errors: isResult ? 0 : 1,
  };
  const at = Date.parse(message.timestamp);
  const timestamp = at >= now - MAX_AGE_MS && at <= now + MAX_AHEAD_MS ? at : now;
  return {
    _aws: {
      Timestamp: timestamp,
      CloudWatchMetrics: [
        {
          Namespace: RESULT_METRICS_NAMESPACE,
          Dimensions: [[DEVICE_DIMENSION]],
          Metrics: Object.values(RESULT_METRICS).map((name) => ({ Name: name, Unit: "Count" })),
        },
      ],
    },
    [DEVICE_DIMENSION]: message.thingName,
    ...Object.fromEntries((Object.keys(values) as ResultMetric[]).map((key) => [RESULT_METRICS[key], values[key]])),
  };
}

/**
 * Writes the document as one raw line on stdout: CloudWatch Logs turns it into metrics. Not through the logger or
 * console.log, which the Lambda runtime's JSON log format would wrap in an envelope that EMF does not read.
 */
export function emitMetrics(event: unknown, deps: { write: (line: string) => void; now: () => number }): void {
  deps.write(`${JSON.stringify(metricsDocument(event, deps.now()))}\n`);
}
