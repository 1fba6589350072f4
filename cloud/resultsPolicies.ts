import * as pulumi from "@pulumi/pulumi";
import { DATA_LAKE_PREFIXES } from "../contracts/dataLake";
import { objectsUnder, PolicyStatement } from "./iam";

/** What the results' roles may do: Firehose writes results/ only, the IoT rules reach their streams only. */

/** Firehose's delivery role: write results/ and results-undelivered/, and its own log streams. */
export function deliveryRoleStatements(args: {
  bucketArn: pulumi.Input<string>;
  logGroupArn: pulumi.Input<string>;
}): PolicyStatement[] {
  const { bucketArn } = args;
  return [
    {
      sid: "WriteResults",
      actions: ["s3:PutObject", "s3:AbortMultipartUpload"],
      resources: [
        objectsUnder(bucketArn, DATA_LAKE_PREFIXES.results),
        objectsUnder(bucketArn, DATA_LAKE_PREFIXES.resultsUndelivered),
      ],
    },
    {
      // Firehose checks the bucket and its unfinished uploads before writing; none of these reads an object.
      sid: "FindTheBucket",
      actions: ["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"],
      resources: [bucketArn],
    },
    {
      sid: "WriteDeliveryLogs",
      actions: ["logs:PutLogEvents"],
      resources: [pulumi.interpolate`${args.logGroupArn}:log-stream:*`],
    },
  ];
}

/** The IoT rules' role: put records into the two delivery streams, and log the rules' failed actions. */
export function topicRuleRoleStatements(args: {
  deliveryStreamArns: pulumi.Input<string>[];
  errorLogGroupArn: pulumi.Input<string>;
}): PolicyStatement[] {
  return [
    {
      sid: "PutResultRecords",
      actions: ["firehose:PutRecord", "firehose:PutRecordBatch"],
      resources: args.deliveryStreamArns,
    },
    {
      sid: "LogFailedActions",
      actions: ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
      resources: [pulumi.interpolate`${args.errorLogGroupArn}:*`],
    },
  ];
}
