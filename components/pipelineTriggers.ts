import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { childOptions, SplitComponentOptions } from "../cloud/formerParent";
import { AccountScope, arnIn } from "../cloud/iam";
import { starterStatements } from "../cloud/pipelinePolicies";
import { functionName, functionSlug, STARTER_FUNCTION } from "../stateMachines/functions";
import { PipelineFunction } from "./pipelineFunction";

export interface PipelineTriggersArgs {
  namePrefix: string;
  stateMachineArn: pulumi.Input<string>;
  stateMachineName: string;
  /** The stack's partition, region and account, for the ARNs of the state machine's executions. */
  scope: AccountScope;
  /** The run queue lives in the data lake. */
  bucketName: pulumi.Input<string>;
  bucketArn: pulumi.Input<string>;
  /** Runs that end badly without their own failure notice are announced here. */
  alertsTopicArn: pulumi.Input<string>;
  /** EventBridge schedule of the periodic training run; null: no schedule. */
  scheduleExpression: string | null;
  /** Approving a model package of this group starts a deploy run. */
  modelPackageGroupName: pulumi.Input<string>;
  accountId: pulumi.Input<string>;
  logRetentionDays: number;
}

/**
 * What starts pipeline runs: EventBridge rules (a schedule, if configured, and a model package's approval) that
 * invoke the starter function. EventBridge cannot name executions; the starter does, so that a trigger delivered
 * twice starts one run. Resources are named `${name}-start-pipeline` and `${name}-<rule>`, `name` being the pipeline's.
 */
export class PipelineTriggers extends pulumi.ComponentResource {
  public readonly starterFunctionArn: pulumi.Output<string>;

  constructor(name: string, args: PipelineTriggersArgs, opts: SplitComponentOptions = {}) {
    const { formerParent, ...options } = opts;
    super("qualityinspection:pipeline:PipelineTriggers", name, {}, options);
    const { namePrefix, stateMachineArn } = args;

    const starter = new PipelineFunction(
      `${name}-${functionSlug("startPipeline")}`,
      {
        functionName: functionName(namePrefix, "startPipeline"),
        ...STARTER_FUNCTION,
        statements: starterStatements({
          stateMachineArn,
          executionsArn: arnIn(args.scope, "states", `execution:${args.stateMachineName}:*`),
          bucketArn: args.bucketArn,
          alertsTopicArn: args.alertsTopicArn,
        }),
        environment: {
          STATE_MACHINE_ARN: stateMachineArn,
          NAME_PREFIX: namePrefix,
          BUCKET_NAME: args.bucketName,
          ALERTS_TOPIC_ARN: args.alertsTopicArn,
        },
        accountId: args.accountId,
        logRetentionDays: args.logRetentionDays,
      },
      { parent: this, formerParent },
    );

    const trigger = (ruleName: string, rule: aws.cloudwatch.EventRuleArgs) => {
      const eventRule = new aws.cloudwatch.EventRule(
        `${name}-${ruleName}`,
        { name: `${namePrefix}-${ruleName}`, ...rule },
        childOptions(this, formerParent),
      );
      new aws.cloudwatch.EventTarget(
        `${name}-${ruleName}-target`,
        {
          rule: eventRule.name,
          arn: starter.functionArn,
          retryPolicy: { maximumEventAgeInSeconds: 3600, maximumRetryAttempts: 20 },
        },
        childOptions(this, formerParent),
      );
      new aws.lambda.Permission(
        `${name}-${ruleName}-invoke`,
        {
          function: starter.functionName,
          action: "lambda:InvokeFunction",
          principal: "events.amazonaws.com",
          sourceArn: eventRule.arn,
        },
        childOptions(this, formerParent),
      );
    };
    if (args.scheduleExpression) {
      trigger("schedule", {
        description: "Starts a training run on the configured schedule",
        scheduleExpression: args.scheduleExpression,
      });
    }
    trigger("model-approved", {
      description: "Starts a deploy run when a model package of this stack is approved",
      eventPattern: pulumi.jsonStringify({
        source: ["aws.sagemaker"],
        "detail-type": ["SageMaker Model Package State Change"],
        detail: { ModelPackageGroupName: [args.modelPackageGroupName], ModelApprovalStatus: ["Approved"] },
      }),
    });
    // Every run's end: an alert for one that ended badly without its own failure notice (aborted, timed out, failed
    // outside a Catch or inside NotifyFailure), and the start of the oldest queued run.
    trigger("run-ended", {
      description: "Alerts for runs that end badly without a failure notice; starts the oldest queued run",
      eventPattern: pulumi.jsonStringify({
        source: ["aws.states"],
        "detail-type": ["Step Functions Execution Status Change"],
        detail: { stateMachineArn: [stateMachineArn], status: ["SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"] },
      }),
    });

    this.starterFunctionArn = starter.functionArn;
    this.registerOutputs({ starterFunctionArn: this.starterFunctionArn });
  }
}
