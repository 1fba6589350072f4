import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { ResultsConfig } from "../config/resultsConfig";
import { RESULT_KINDS, ResultKind, resultsCatalogNames } from "../contracts/resultsLayout";
import { workgroupConfiguration } from "../cloud/athenaWorkgroup";
import { policyDocument, serviceTrustPolicy } from "../cloud/iam";
import {
  deliveryPrefix,
  deliveryProcessors,
  glueTable,
  OBJECT_EXTENSION,
  topicRuleSql,
  undeliveredPrefix,
} from "../cloud/resultsDelivery";
import { deliveryRoleStatements, topicRuleRoleStatements } from "../cloud/resultsPolicies";
import { NAMED_QUERIES, NAMED_QUERY_NAMES } from "../lib/results/queries";
import { ResultsMonitoring } from "./resultsMonitoring";

export interface InspectionResultsArgs {
  namePrefix: string;
  region: string;
  accountId: pulumi.Input<string>;
  bucketName: pulumi.Input<string>;
  bucketArn: pulumi.Input<string>;
  /** The topic results are published to; errors arrive on its `/errors` sub-topic. */
  resultTopic: string;
  /** The core devices: partition projection's device values, and one set of alarms each. */
  devices: string[];
  alertsTopicArn: pulumi.Input<string>;
  results: ResultsConfig;
  logRetentionDays: number;
}

const KINDS = Object.keys(RESULT_KINDS) as ResultKind[];

/**
 * Inspection results that last: IoT topic rules on the result topic and its error topic feed one Firehose stream each,
 * which writes gzip JSON lines under `results/<kind>/day=…/device=…/` in the data lake; a Glue database with one table
 * per kind and an Athena workgroup with the named queries read them; the rules also feed the result-metrics function,
 * whose metrics the alarms and the dashboard watch (ResultsMonitoring).
 */
export class InspectionResults extends pulumi.ComponentResource {
  public readonly databaseName: pulumi.Output<string>;
  public readonly workgroupName: pulumi.Output<string>;
  public readonly deliveryStreamArns: pulumi.Output<string>[];
  public readonly dashboardName: pulumi.Output<string>;

  constructor(name: string, args: InspectionResultsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("qualityinspection:results:InspectionResults", name, {}, opts);
    const parent = { parent: this };
    const streams = createDeliveryStreams(name, args, parent);
    const monitoring = new ResultsMonitoring(
      `${name}-monitoring`,
      {
        namePrefix: args.namePrefix,
        region: args.region,
        accountId: args.accountId,
        devices: args.devices,
        alertsTopicArn: args.alertsTopicArn,
        results: args.results,
        logRetentionDays: args.logRetentionDays,
      },
      parent,
    );
    const rules = createTopicRules(name, args, streams, monitoring.functionArn, parent);
    // Each rule may invoke the metrics function, and nothing else may through this grant.
    rules.forEach(
      (rule, i) =>
        new aws.lambda.Permission(
          `${name}-${KINDS[i]}-rule-invokes-metrics`,
          {
            function: monitoring.functionName,
            action: "lambda:InvokeFunction",
            principal: "iot.amazonaws.com",
            sourceAccount: args.accountId,
            sourceArn: rule.arn,
          },
          parent,
        ),
    );
    const catalog = createCatalog(name, args, parent);

    this.databaseName = catalog.databaseName;
    this.workgroupName = catalog.workgroupName;
    this.deliveryStreamArns = KINDS.map((kind) => streams[kind].arn);
    this.dashboardName = monitoring.dashboardName;
    this.registerOutputs({
      databaseName: this.databaseName,
      workgroupName: this.workgroupName,
      deliveryStreamArns: this.deliveryStreamArns,
      dashboardName: this.dashboardName,
    });
  }
}

/** IoT rule names allow letters, digits and underscores only. */
function ruleNamePrefix(namePrefix: string): string {
  return namePrefix.replace(/-/g, "_");
}

/** One Firehose stream per kind, sharing one role and one log group. */
function createDeliveryStreams(name: string, args: InspectionResultsArgs, parent: pulumi.CustomResourceOptions) {
  const logGroup = new aws.cloudwatch.LogGroup(
    `${name}-delivery-logs`,
    { name: `/aws/kinesisfirehose/${args.namePrefix}-results`, retentionInDays: args.logRetentionDays },
    parent,
  );
  const role = new aws.iam.Role(
    `${name}-delivery-role`,
    {
      description: "Lets Firehose write inspection results under results/ in the data lake",
      assumeRolePolicy: serviceTrustPolicy("firehose.amazonaws.com", args.accountId),
    },
    parent,
  );
  const access = new aws.iam.RolePolicy(
    `${name}-delivery-access`,
    {
      role: role.id,
      policy: policyDocument(deliveryRoleStatements({ bucketArn: args.bucketArn, logGroupArn: logGroup.arn })),
    },
    parent,
  );
  const streams = {} as Record<ResultKind, aws.kinesis.FirehoseDeliveryStream>;
  for (const kind of KINDS) {
    const logStream = new aws.cloudwatch.LogStream(
      `${name}-${kind}-delivery-log`,
      { logGroupName: logGroup.name, name: kind },
      parent,
    );
    streams[kind] = new aws.kinesis.FirehoseDeliveryStream(
      `${name}-${kind}`,
      {
        name: `${args.namePrefix}-results-${kind}`,
        destination: "extended_s3",
        serverSideEncryption: { enabled: true, keyType: "AWS_OWNED_CMK" },
        extendedS3Configuration: {
          bucketArn: args.bucketArn,
          roleArn: role.arn,
          prefix: deliveryPrefix(kind),
          errorOutputPrefix: undeliveredPrefix(kind),
          fileExtension: OBJECT_EXTENSION,
          compressionFormat: "GZIP",
          // Dynamic partitioning needs buffers of at least 64 MB; the interval decides how fresh the lake is.
          bufferingSize: 64,
          bufferingInterval: args.results.bufferSeconds,
          dynamicPartitioningConfiguration: { enabled: true },
          processingConfiguration: { enabled: true, processors: deliveryProcessors() },
          cloudwatchLoggingOptions: { enabled: true, logGroupName: logGroup.name, logStreamName: logStream.name },
        },
      },
      { ...parent, dependsOn: [access] },
    );
  }
  return streams;
}

/** One rule per topic: every message into its stream and to the metrics function; failed actions logged. */
function createTopicRules(
  name: string,
  args: InspectionResultsArgs,
  streams: Record<ResultKind, aws.kinesis.FirehoseDeliveryStream>,
  metricsFunctionArn: pulumi.Output<string>,
  parent: pulumi.CustomResourceOptions,
): aws.iot.TopicRule[] {
  const errorLogs = new aws.cloudwatch.LogGroup(
    `${name}-rule-errors`,
    { name: `/aws/iot/${args.namePrefix}-results-rules`, retentionInDays: args.logRetentionDays },
    parent,
  );
  const role = new aws.iam.Role(
    `${name}-rule-role`,
    {
      description: "Lets the results' IoT rules put records into their Firehose streams",
      assumeRolePolicy: serviceTrustPolicy("iot.amazonaws.com", args.accountId),
    },
    parent,
  );
  const access = new aws.iam.RolePolicy(
    `${name}-rule-access`,
    {
      role: role.id,
      policy: policyDocument(
        topicRuleRoleStatements({
          deliveryStreamArns: KINDS.map((kind) => streams[kind].arn),
          errorLogGroupArn: errorLogs.arn,
        }),
      ),
    },
    parent,
  );
  return KINDS.map(
    (kind) =>
      new aws.iot.TopicRule(
        `${name}-${kind}-rule`,
        {
          name: `${ruleNamePrefix(args.namePrefix)}_results_${kind}`,
          description: `Stores every ${kind === "inspections" ? "result" : "error"} message under results/${RESULT_KINDS[kind].folder} and counts it`,
          enabled: true,
          sql: topicRuleSql(kind, args.resultTopic),
          sqlVersion: "2016-03-23",
          firehoses: [{ deliveryStreamName: streams[kind].name, roleArn: role.arn, batchMode: false }],
          lambdas: [{ functionArn: metricsFunctionArn }],
          errorAction: { cloudwatchLogs: { logGroupName: errorLogs.name, roleArn: role.arn } },
        },
        { ...parent, dependsOn: [access] },
      ),
  );
}

/** The Glue database and tables over the layout, and the Athena workgroup with the named queries. */
function createCatalog(name: string, args: InspectionResultsArgs, parent: pulumi.CustomResourceOptions) {
  const database = new aws.glue.CatalogDatabase(
    `${name}-database`,
    { name: resultsCatalogNames(args.namePrefix).database, description: "Inspection results of the edge fleet" },
    parent,
  );
  for (const kind of KINDS) {
    const tables = pulumi.output(args.bucketName).apply((bucket) => glueTable(kind, bucket, args.devices));
    new aws.glue.CatalogTable(
      `${name}-${kind}-table`,
      {
        name: RESULT_KINDS[kind].table,
        databaseName: database.name,
        tableType: "EXTERNAL_TABLE",
        description: `Messages of results/${RESULT_KINDS[kind].folder}: columns derived from the MQTT payload contract`,
        partitionKeys: tables.partitionKeys,
        parameters: tables.parameters,
        storageDescriptor: {
          location: tables.location,
          inputFormat: tables.inputFormat,
          outputFormat: tables.outputFormat,
          serDeInfo: tables.serde,
          columns: tables.columns,
        },
      },
      parent,
    );
  }
  const workgroup = new aws.athena.Workgroup(
    `${name}-workgroup`,
    {
      name: resultsCatalogNames(args.namePrefix).workgroup,
      description: "Queries of the inspection results",
      forceDestroy: true,
      configuration: workgroupConfiguration(args.bucketName, args.results.query.scanLimitBytes),
    },
    parent,
  );
  const { query } = args.results;
  for (const queryName of NAMED_QUERY_NAMES) {
    const named = NAMED_QUERIES[queryName];
    new aws.athena.NamedQuery(
      `${name}-${named.slug}`,
      {
        name: named.slug,
        description: named.description,
        database: database.name,
        workgroup: workgroup.name,
        query: named.sql({
          window: { lastDays: query.days },
          silentMinutes: args.results.silentMinutes,
          linePattern: query.linePattern,
          limit: 50,
        }),
      },
      parent,
    );
  }
  return { databaseName: database.name, workgroupName: workgroup.name };
}
