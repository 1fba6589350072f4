import * as pulumi from "@pulumi/pulumi";
import { AccountScope, PolicyStatement } from "./iam";

/**
 * The key policy of the alerts topic's customer managed key. The topic used the AWS managed key `alias/aws/sns`, whose
 * policy lets only principals of the account use it through SNS — and CloudWatch alarms cannot publish to a topic
 * encrypted with it (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html). This key keeps that same
 * rule for the account's publishers (the state machine, the trigger functions and their on-failure destinations,
 * with no KMS grant in their own policies) and adds CloudWatch. In a key policy `Resource: "*"` means this key.
 */
export function alertsKeyStatements(scope: AccountScope): PolicyStatement[] {
  const account = scope.accountId;
  return [
    {
      // Without it no one could change or delete the key; IAM decides who in the account may.
      sid: "AdministerTheKey",
      principals: { AWS: [pulumi.interpolate`arn:${scope.partition}:iam::${account}:root`] },
      actions: KEY_ADMINISTRATION,
      resources: ["*"],
    },
    {
      sid: "PublishThroughSnsInThisAccount",
      principals: { AWS: ["*"] },
      actions: ["kms:GenerateDataKey", "kms:Decrypt"],
      resources: ["*"],
      conditions: {
        StringEquals: {
          "kms:CallerAccount": [account],
          "kms:ViaService": [pulumi.interpolate`sns.${scope.region}.amazonaws.com`],
        },
      },
    },
    {
      sid: "CloudWatchAlarmsPublish",
      principals: { Service: ["cloudwatch.amazonaws.com"] },
      actions: ["kms:GenerateDataKey", "kms:Decrypt"],
      resources: ["*"],
    },
  ];
}

/** What the account's administrators may do to the key (named one by one: no `kms:*`). */
const KEY_ADMINISTRATION = [
  "kms:DescribeKey",
  "kms:GetKeyPolicy",
  "kms:PutKeyPolicy",
  "kms:GetKeyRotationStatus",
  "kms:EnableKeyRotation",
  "kms:DisableKeyRotation",
  "kms:ListResourceTags",
  "kms:TagResource",
  "kms:UntagResource",
  "kms:CreateAlias",
  "kms:DeleteAlias",
  "kms:UpdateAlias",
  "kms:EnableKey",
  "kms:DisableKey",
  "kms:ScheduleKeyDeletion",
  "kms:CancelKeyDeletion",
];
