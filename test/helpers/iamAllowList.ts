/**
 * Actions that may be granted on `Resource: "*"`, each with the reason AWS leaves no narrower choice. The IAM checker
 * fails on any other action granted on "*". Extend only with a reason, and say the same in a comment at the policy.
 */
export const RESOURCE_WILDCARD_ALLOW_LIST: Record<string, string> = {
  "ecr:GetAuthorizationToken": "has no resource-level permissions; needed to pull the SageMaker PyTorch image",
  "cloudwatch:PutMetricData": "has no resource-level permissions; the policy pins the namespace with a condition",
};

/** AWS-managed policies the program may attach (none is a FullAccess policy). */
export const MANAGED_POLICY_ALLOW_LIST: Record<string, string> = {};
