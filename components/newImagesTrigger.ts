import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { DATA_LAKE_PREFIXES } from "../contracts/dataLake";
import { policyDocument } from "../cloud/iam";
import { newImagesStatements } from "../cloud/pipelinePolicies";
import { functionName, functionSlug, NEW_IMAGES_FUNCTION } from "../stateMachines/functions";
import { PipelineFunction } from "./pipelineFunction";

export interface NewImagesTriggerArgs {
  namePrefix: string;
  stateMachineArn: pulumi.Input<string>;
  bucketName: pulumi.Input<string>;
  bucketArn: pulumi.Input<string>;
  alertsTopicArn: pulumi.Input<string>;
  /** Start a run once this many images are pending... */
  minImages: number;
  /** ...or once the oldest has waited this long. */
  maxWaitMinutes: number;
  accountId: pulumi.Input<string>;
  logRetentionDays: number;
}

/**
 * The trigger on new images (docs/decisions.md, "A run costs what is new"): the data lake sends its events to
 * EventBridge; a rule on images created under `images/` and a periodic check invoke the new-images function, which
 * records each image in the pending index and starts a run when enough have arrived or the oldest has waited long
 * enough. Events EventBridge cannot deliver go to a dead-letter queue; an invocation that fails after Lambda's retries
 * is published to the alerts topic.
 */
export class NewImagesTrigger extends pulumi.ComponentResource {
  public readonly functionArn: pulumi.Output<string>;
  public readonly deadLetterQueueUrl: pulumi.Output<string>;

  constructor(name: string, args: NewImagesTriggerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("qualityinspection:pipeline:NewImagesTrigger", name, {}, opts);
    const { namePrefix, bucketName } = args;
    const parent = { parent: this };

    // S3 sends every event of the bucket to EventBridge; the rule below picks the images.
    new aws.s3.BucketNotification(`${name}-bucket-events`, { bucket: bucketName, eventbridge: true }, parent);

    const fn = new PipelineFunction(
      `${name}-${functionSlug("newImages")}`,
      {
        functionName: functionName(namePrefix, "newImages"),
        ...NEW_IMAGES_FUNCTION,
        statements: newImagesStatements(args),
        environment: {
          BUCKET_NAME: bucketName,
          STATE_MACHINE_ARN: args.stateMachineArn,
          MIN_IMAGES: String(args.minImages),
          MAX_WAIT_MINUTES: String(args.maxWaitMinutes),
        },
        accountId: args.accountId,
        logRetentionDays: args.logRetentionDays,
      },
      parent,
    );

    // An invocation that still fails after Lambda's two retries is an alert, not a lost image.
    new aws.lambda.FunctionEventInvokeConfig(
      `${name}-on-failure`,
      {
        functionName: fn.functionName,
        maximumRetryAttempts: 2,
        destinationConfig: { onFailure: { destination: args.alertsTopicArn } },
      },
      parent,
    );

    // Events EventBridge could not deliver after its retries wait here (14 days) to be replayed.
    const dlq = new aws.sqs.Queue(
      `${name}-dlq`,
      { name: `${namePrefix}-new-images-dlq`, messageRetentionSeconds: 14 * 24 * 3600, sqsManagedSseEnabled: true },
      parent,
    );

    const rules = [
      {
        role: "image-created",
        rule: {
          description: "Records each image created under images/ and starts a run when enough are pending",
          eventPattern: pulumi.jsonStringify({
            source: ["aws.s3"],
            "detail-type": ["Object Created"],
            detail: { bucket: { name: [bucketName] }, object: { key: [{ prefix: DATA_LAKE_PREFIXES.images }] } },
          }),
        },
      },
      {
        role: "pending-check",
        rule: {
          description: "Starts a run for pending images that have waited long enough, when no new image arrives",
          scheduleExpression: `rate(${Math.min(60, args.maxWaitMinutes)} minutes)`,
        },
      },
    ];
    const ruleArns = rules.map(({ role, rule }) => {
      const eventRule = new aws.cloudwatch.EventRule(
        `${name}-${role}`,
        { name: `${namePrefix}-${role}`, ...rule },
        parent,
      );
      new aws.cloudwatch.EventTarget(
        `${name}-${role}-target`,
        {
          rule: eventRule.name,
          arn: fn.functionArn,
          retryPolicy: { maximumEventAgeInSeconds: 3600, maximumRetryAttempts: 20 },
          deadLetterConfig: { arn: dlq.arn },
        },
        parent,
      );
      new aws.lambda.Permission(
        `${name}-${role}-invoke`,
        {
          function: fn.functionName,
          action: "lambda:InvokeFunction",
          principal: "events.amazonaws.com",
          sourceArn: eventRule.arn,
        },
        parent,
      );
      return eventRule.arn;
    });

    // Only these rules may put their undeliverable events in the queue.
    new aws.sqs.QueuePolicy(
      `${name}-dlq-policy`,
      {
        queueUrl: dlq.url,
        policy: policyDocument([
          {
            sid: "RulesDeadLetters",
            principals: { Service: ["events.amazonaws.com"] },
            actions: ["sqs:SendMessage"],
            resources: [dlq.arn],
            conditions: { ArnEquals: { "aws:SourceArn": ruleArns } },
          },
        ]),
      },
      parent,
    );

    this.functionArn = fn.functionArn;
    this.deadLetterQueueUrl = dlq.url;
    this.registerOutputs({ functionArn: this.functionArn, deadLetterQueueUrl: this.deadLetterQueueUrl });
  }
}
