import * as pulumi from "@pulumi/pulumi";

/**
 * IAM policy documents as typed values. We render them ourselves (rather than with `aws.iam.getPolicyDocument`) so the
 * JSON AWS receives is produced without a provider call, and the IAM checker in the tests reads exactly that JSON.
 */
export interface PolicyStatement {
  sid?: string;
  effect?: "Allow" | "Deny";
  actions: string[];
  resources?: pulumi.Input<string>[];
  principals?: "*" | Record<string, pulumi.Input<string>[]>;
  conditions?: Record<string, Record<string, pulumi.Input<string>[]>>;
}

/**
 * A policy document's JSON. AWS IoT policies take the same grammar without statement ids, so `sids: false` leaves
 * them out (the ids stay in the code as documentation).
 */
export function policyDocument(statements: PolicyStatement[], options: { sids?: boolean } = {}): pulumi.Output<string> {
  const withSids = options.sids ?? true;
  return pulumi.jsonStringify({
    Version: "2012-10-17",
    Statement: statements.map((s) => ({
      ...(s.sid && withSids ? { Sid: s.sid } : {}),
      Effect: s.effect ?? "Allow",
      ...(s.principals ? { Principal: s.principals === "*" ? "*" : s.principals } : {}),
      Action: s.actions,
      ...(s.resources ? { Resource: s.resources } : {}),
      ...(s.conditions ? { Condition: s.conditions } : {}),
    })),
  });
}

/**
 * Trust policy letting one AWS service assume a role, limited to this account (`aws:SourceAccount`) where the service
 * is documented to send that key when it assumes the role: a condition on a key the request lacks denies it, so a
 * guess here fails `pulumi up` or the first run. SageMaker sends it for training and Neo jobs
 * (https://docs.aws.amazon.com/sagemaker/latest/dg/security-confused-deputy-prevention.html), but Ground Truth and
 * Feature Store are not among the features that page lists; neither EC2 instance profiles nor the IoT credentials
 * provider document it. Those roles pass no `accountId`; test/cloud/iam.test.ts lists them with this reason.
 */
export function serviceTrustPolicy(service: string, accountId?: pulumi.Input<string>): pulumi.Output<string> {
  return policyDocument([
    {
      actions: ["sts:AssumeRole"],
      principals: { Service: [service] },
      ...(accountId ? { conditions: { StringEquals: { "aws:SourceAccount": [accountId] } } } : {}),
    },
  ]);
}

/** `arn:aws:s3:::bucket/prefix*`: the objects under one data lake prefix. */
export function objectsUnder(bucketArn: pulumi.Input<string>, prefix: string): pulumi.Output<string> {
  return pulumi.interpolate`${bucketArn}/${prefix}*`;
}

/** The account and region a stack's own ARNs are in. */
export interface AccountScope {
  partition: string;
  region: string;
  accountId: pulumi.Input<string>;
}

/** `arn:<partition>:<service>:<region>:<account>:<resource>`: an ARN of the stack's account and region. */
export function arnIn(scope: AccountScope, service: string, resource: pulumi.Input<string>): pulumi.Output<string> {
  return pulumi.interpolate`arn:${scope.partition}:${service}:${scope.region}:${scope.accountId}:${resource}`;
}
