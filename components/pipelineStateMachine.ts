import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { childOptions, SplitComponentOptions } from "../cloud/formerParent";
import { policyDocument, PolicyStatement, serviceTrustPolicy } from "../cloud/iam";
import type { StateMachineDefinition } from "../stateMachines/asl";

export interface PipelineStateMachineArgs {
  /** The state machine's name in AWS. */
  stateMachineName: string;
  definition: pulumi.Input<StateMachineDefinition>;
  /** What its role may do (cloud/pipelinePolicies.ts). */
  statements: PolicyStatement[];
  accountId: pulumi.Input<string>;
  logRetentionDays: number;
}

/**
 * The pipeline's STANDARD Step Functions state machine with its role, and the log group it logs ALL to (with
 * execution data) and X-Ray tracing. Its resources are named `${name}-logs`, `${name}-state-machine-role`,
 * `${name}-state-machine-access` and `${name}-state-machine`, `name` being the pipeline's.
 */
export class PipelineStateMachine extends pulumi.ComponentResource {
  public readonly stateMachineArn: pulumi.Output<string>;
  public readonly stateMachineName: pulumi.Output<string>;
  public readonly logGroupName: pulumi.Output<string>;

  constructor(name: string, args: PipelineStateMachineArgs, opts: SplitComponentOptions = {}) {
    const { formerParent, ...options } = opts;
    super("qualityinspection:pipeline:PipelineStateMachine", name, {}, options);
    const { stateMachineName, accountId } = args;
    const child = (extra?: pulumi.CustomResourceOptions) => childOptions(this, formerParent, extra);

    // Step Functions requires the /aws/vendedlogs/ prefix for long names and log delivery.
    const logGroup = new aws.cloudwatch.LogGroup(
      `${name}-logs`,
      { name: `/aws/vendedlogs/states/${stateMachineName}`, retentionInDays: args.logRetentionDays },
      child(),
    );
    const role = new aws.iam.Role(
      `${name}-state-machine-role`,
      {
        description: `Runs the ${stateMachineName} state machine`,
        assumeRolePolicy: serviceTrustPolicy("states.amazonaws.com", accountId),
      },
      child(),
    );
    const rolePolicy = new aws.iam.RolePolicy(
      `${name}-state-machine-access`,
      { role: role.id, policy: policyDocument(args.statements) },
      child(),
    );
    const stateMachine = new aws.sfn.StateMachine(
      `${name}-state-machine`,
      {
        name: stateMachineName,
        type: "STANDARD",
        roleArn: role.arn,
        definition: pulumi.jsonStringify(args.definition),
        loggingConfiguration: {
          level: "ALL",
          includeExecutionData: true,
          logDestination: pulumi.interpolate`${logGroup.arn}:*`,
        },
        tracingConfiguration: { enabled: true },
      },
      // Step Functions checks the role's log delivery rights when the state machine is created.
      child({ dependsOn: [rolePolicy] }),
    );

    this.stateMachineArn = stateMachine.arn;
    this.stateMachineName = stateMachine.name;
    this.logGroupName = logGroup.name;
    this.registerOutputs({
      stateMachineArn: this.stateMachineArn,
      stateMachineName: this.stateMachineName,
      logGroupName: this.logGroupName,
    });
  }
}
