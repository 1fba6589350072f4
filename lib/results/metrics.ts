/**
 * The CloudWatch metrics of inspection results: what the result-metrics function emits (embedded metric format) and
 * what the alarms and the dashboard read. One dimension, the device's thing name.
 */
export const RESULT_METRICS_NAMESPACE = "QualityInspection/Results";
export const DEVICE_DIMENSION = "Device";

export const RESULT_METRICS = {
  /** 1 for every result message (an inspected part), 0 for an error message. */
  inspections: "Inspections",
  /** 1 for a result with at least one detection (a failed part). */
  failedParts: "FailedParts",
  /** 1 for every error message of the device. */
  errors: "Errors",
} as const;

export type ResultMetric = keyof typeof RESULT_METRICS;
