import type { ResultsConfig } from "../config/resultsConfig";
import { DEVICE_DIMENSION, RESULT_METRICS, RESULT_METRICS_NAMESPACE, ResultMetric } from "../lib/results/metrics";

/**
 * The alarms and the dashboard of the results, as plain values from the config and the device list: per device, the
 * defect rate and the error rate over the configured window, and silence (missing data breaches).
 */

export type ResultAlarmKind = "defect-rate" | "error-rate" | "silent";

export interface MetricQuery {
  id: string;
  expression?: string;
  label?: string;
  returnData: boolean;
  metric?: { namespace: string; metricName: string; dimensions: Record<string, string>; period: number; stat: string };
}

export interface ResultAlarm {
  kind: ResultAlarmKind;
  device: string;
  description: string;
  comparisonOperator: "GreaterThanThreshold" | "LessThanThreshold";
  threshold: number;
  evaluationPeriods: number;
  treatMissingData: "breaching" | "notBreaching";
  metricQueries: MetricQuery[];
}

function metric(id: ResultMetric, device: string, periodSeconds: number): MetricQuery {
  return {
    id,
    returnData: false,
    metric: {
      namespace: RESULT_METRICS_NAMESPACE,
      metricName: RESULT_METRICS[id],
      dimensions: { [DEVICE_DIMENSION]: device },
      period: periodSeconds,
      stat: "Sum",
    },
  };
}

/** The three alarms of one device. */
export function deviceAlarms(device: string, config: ResultsConfig): ResultAlarm[] {
  const window = config.defectRate.windowMinutes * 60;
  const { minInspections } = config.defectRate;
  return [
    {
      kind: "defect-rate",
      device,
      description:
        `${device}: more than ${config.defectRate.threshold * 100} % failed parts over ${config.defectRate.windowMinutes} ` +
        `min (with at least ${minInspections} inspections)`,
      comparisonOperator: "GreaterThanThreshold",
      threshold: config.defectRate.threshold,
      evaluationPeriods: 1,
      // No inspections is the silent alarm's business, not this one's.
      treatMissingData: "notBreaching",
      metricQueries: [
        metric("inspections", device, window),
        metric("failedParts", device, window),
        {
          id: "defectRate",
          expression: `IF(inspections >= ${minInspections}, failedParts / inspections, 0)`,
          label: "defect rate",
          returnData: true,
        },
      ],
    },
    {
      kind: "error-rate",
      device,
      description: `${device}: more than ${config.errorRate.threshold * 100} % of its messages were errors over ${config.defectRate.windowMinutes} min`,
      comparisonOperator: "GreaterThanThreshold",
      threshold: config.errorRate.threshold,
      evaluationPeriods: 1,
      treatMissingData: "notBreaching",
      metricQueries: [
        metric("inspections", device, window),
        metric("errors", device, window),
        {
          id: "errorRate",
          expression: "IF(inspections + errors > 0, errors / (inspections + errors), 0)",
          label: "error rate",
          returnData: true,
        },
      ],
    },
    {
      kind: "silent",
      device,
      description: `${device}: no inspection result for ${config.silentMinutes} min`,
      comparisonOperator: "LessThanThreshold",
      threshold: 1,
      evaluationPeriods: 1,
      // The point of this alarm: a device that sends nothing has no data points at all.
      treatMissingData: "breaching",
      metricQueries: [{ ...metric("inspections", device, config.silentMinutes * 60), returnData: true }],
    },
  ];
}

/** The dashboard: per device inspections, failed parts and errors; the defect rate of every device; the alarms. */
export function dashboardBody(args: { region: string; devices: string[]; alarmArns: string[] }) {
  const { region, devices } = args;
  const series = (name: ResultMetric) =>
    devices.map((device) => [RESULT_METRICS_NAMESPACE, RESULT_METRICS[name], DEVICE_DIMENSION, device]);
  const graph = (title: string, metrics: unknown[], x: number, y: number) => ({
    type: "metric",
    x,
    y,
    width: 12,
    height: 6,
    properties: { title, region, view: "timeSeries", stat: "Sum", period: 300, metrics },
  });
  const rates = devices.flatMap((device, i) => [
    [RESULT_METRICS_NAMESPACE, RESULT_METRICS.inspections, DEVICE_DIMENSION, device, { id: `i${i}`, visible: false }],
    [RESULT_METRICS_NAMESPACE, RESULT_METRICS.failedParts, DEVICE_DIMENSION, device, { id: `f${i}`, visible: false }],
    [{ expression: `IF(i${i} > 0, 100 * f${i} / i${i}, 0)`, label: `${device} defect rate %`, id: `r${i}` }],
  ]);
  return {
    widgets: [
      graph("Inspections per device (5 min)", series("inspections"), 0, 0),
      graph("Failed parts per device (5 min)", series("failedParts"), 12, 0),
      graph("Defect rate per device, % (5 min)", rates, 0, 6),
      graph("Errors per device (5 min)", series("errors"), 12, 6),
      ...(args.alarmArns.length === 0
        ? []
        : [
            {
              type: "alarm",
              x: 0,
              y: 12,
              width: 24,
              height: 4,
              properties: { title: "Result alarms", alarms: args.alarmArns },
            },
          ]),
    ],
  };
}
