import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { LAMBDA_RUNTIME } from "../contracts/runtime";
import { childOptions, SplitComponentOptions } from "../cloud/formerParent";
import { policyDocument, PolicyStatement, serviceTrustPolicy } from "../cloud/iam";
import { lambdaArchive } from "../cloud/lambdaBundle";
import { functionBaseStatements } from "../cloud/pipelinePolicies";

export interface PipelineFunctionArgs {
  /** The function's name in AWS. */
  functionName: string;
  /** Its folder under `lambdas/`; `index.ts` there is bundled with esbuild. */
  entry: string;
  description: string;
  timeoutSeconds: number;
  memoryMb: number;
  /** /tmp size; Lambda's default 512 MB when not given. */
  ephemeralStorageMb?: number;
  /** What it may do beyond writing its own logs and traces. */
  statements: PolicyStatement[];
  environment: Record<string, pulumi.Input<string>>;
  accountId: pulumi.Input<string>;
  logRetentionDays: number;
}

/**
 * One Lambda function of the pipeline with its own role (its own logs and traces, plus `statements`), its log group
 * with retention, and X-Ray tracing. The resources are named `${name}-logs`, `${name}-role`, `${name}-access` and
 * `${name}` itself.
 */
export class PipelineFunction extends pulumi.ComponentResource {
  public readonly functionArn: pulumi.Output<string>;
  public readonly functionName: pulumi.Output<string>;

  constructor(name: string, args: PipelineFunctionArgs, opts: SplitComponentOptions = {}) {
    const { formerParent, ...options } = opts;
    super("qualityinspection:pipeline:PipelineFunction", name, {}, options);
    const { functionName, accountId } = args;
    const child = (extra?: pulumi.CustomResourceOptions) => childOptions(this, formerParent, extra);

    const logGroup = new aws.cloudwatch.LogGroup(
      `${name}-logs`,
      { name: `/aws/lambda/${functionName}`, retentionInDays: args.logRetentionDays },
      child(),
    );
    const role = new aws.iam.Role(
      `${name}-role`,
      {
        description: `Runs the ${functionName} function`,
        assumeRolePolicy: serviceTrustPolicy("lambda.amazonaws.com", accountId),
      },
      child(),
    );
    const rolePolicy = new aws.iam.RolePolicy(
      `${name}-access`,
      { role: role.id, policy: policyDocument([...functionBaseStatements(logGroup.arn), ...args.statements]) },
      child(),
    );
    const fn = new aws.lambda.Function(
      name,
      {
        name: functionName,
        description: args.description,
        role: role.arn,
        runtime: LAMBDA_RUNTIME,
        architectures: ["x86_64"],
        handler: "index.handler",
        code: lambdaArchive(args.entry),
        timeout: args.timeoutSeconds,
        memorySize: args.memoryMb,
        ephemeralStorage: { size: args.ephemeralStorageMb ?? 512 },
        environment: { variables: args.environment },
        tracingConfig: { mode: "Active" },
        loggingConfig: { logFormat: "JSON", logGroup: logGroup.name },
      },
      // The role must be able to write the log group before the function first runs.
      child({ dependsOn: [rolePolicy, logGroup] }),
    );

    this.functionArn = fn.arn;
    this.functionName = fn.name;
    this.registerOutputs({ functionArn: this.functionArn, functionName: this.functionName });
  }
}
