import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { ResultsConfig } from "../config/resultsConfig";
import { dashboardBody, deviceAlarms } from "../cloud/resultsMonitoring";
import { PipelineFunction } from "./pipelineFunction";

export interface ResultsMonitoringArgs {
  namePrefix: string;
  region: string;
  accountId: pulumi.Input<string>;
  devices: string[];
  alertsTopicArn: pulumi.Input<string>;
  results: ResultsConfig;
  logRetentionDays: number;
}

/**
 * The results' CloudWatch side: the result-metrics function (per device Inspections, FailedParts, Errors in embedded
 * metric format), three alarms per device (defect rate, error rate, silence) that notify the alerts topic when they go
 * off and when they clear, and a dashboard of those series.
 */
export class ResultsMonitoring extends pulumi.ComponentResource {
  public readonly functionArn: pulumi.Output<string>;
  public readonly functionName: pulumi.Output<string>;
  public readonly dashboardName: pulumi.Output<string>;

  constructor(name: string, args: ResultsMonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
    super("qualityinspection:results:ResultsMonitoring", name, {}, opts);
    const parent = { parent: this };
    const fn = new PipelineFunction(
      `${name}-function`,
      {
        functionName: `${args.namePrefix}-result-metrics`,
        entry: "resultMetrics",
        description: "Counts inspections, failed parts and errors per device as CloudWatch metrics (EMF)",
        timeoutSeconds: 10,
        memoryMb: 128,
        // It only writes its own log stream, which base statements already allow.
        statements: [],
        environment: {},
        accountId: args.accountId,
        logRetentionDays: args.logRetentionDays,
      },
      parent,
    );
    const alarms = args.devices.flatMap((device) =>
      deviceAlarms(device, args.results).map(
        (alarm) =>
          new aws.cloudwatch.MetricAlarm(
            `${name}-${alarm.device}-${alarm.kind}`,
            {
              name: `${args.namePrefix}-${alarm.device}-${alarm.kind}`,
              alarmDescription: alarm.description,
              comparisonOperator: alarm.comparisonOperator,
              threshold: alarm.threshold,
              evaluationPeriods: alarm.evaluationPeriods,
              treatMissingData: alarm.treatMissingData,
              metricQueries: alarm.metricQueries,
              alarmActions: [args.alertsTopicArn],
              okActions: [args.alertsTopicArn],
            },
            parent,
          ),
      ),
    );
    const dashboard = new aws.cloudwatch.Dashboard(
      `${name}-dashboard`,
      {
        dashboardName: `${args.namePrefix}-results`,
        dashboardBody: pulumi.all(alarms.map((alarm) => alarm.arn)).apply((alarmArns) =>
          JSON.stringify(
            dashboardBody({
              region: args.region,
              devices: args.devices,
              alarmArns,
            }),
          ),
        ),
      },
      parent,
    );

    this.functionArn = fn.functionArn;
    this.functionName = fn.functionName;
    this.dashboardName = dashboard.dashboardName;
    this.registerOutputs({ functionArn: this.functionArn, dashboardName: this.dashboardName });
  }
}
