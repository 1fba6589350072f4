/**
 * Actions that may be granted on `Resource: "*"`, each with the reason AWS leaves no narrower choice. The IAM checker
 * fails on any other action granted on "*". Extend only with a reason, and say the same in a comment at the policy.
 */
export const RESOURCE_WILDCARD_ALLOW_LIST: Record<string, string> = {
  "ecr:GetAuthorizationToken": "has no resource-level permissions; needed to pull the SageMaker PyTorch image",
  "cloudwatch:PutMetricData": "has no resource-level permissions; the policy pins the namespace with a condition",
  "xray:PutTraceSegments":
    "has no resource-level permissions; the pipeline's functions and state machine send X-Ray traces",
  "xray:PutTelemetryRecords":
    "has no resource-level permissions; needed by X-Ray tracing of functions and state machine",
  "xray:GetSamplingRules": "has no resource-level permissions; Step Functions reads sampling rules to trace executions",
  "xray:GetSamplingTargets":
    "has no resource-level permissions; Step Functions reads sampling targets to trace executions",
  "greengrass:CreateDeployment":
    "has no resource-level permissions; the IoT job actions it performs are scoped to the fleet's thing group",
  "logs:CreateLogDelivery": "log delivery actions take no resource ARN; Step Functions needs them to log executions",
  "logs:GetLogDelivery": "log delivery actions take no resource ARN; Step Functions needs them to log executions",
  "logs:UpdateLogDelivery": "log delivery actions take no resource ARN; Step Functions needs them to log executions",
  "logs:DeleteLogDelivery": "log delivery actions take no resource ARN; Step Functions needs them to log executions",
  "logs:ListLogDeliveries": "log delivery actions take no resource ARN; Step Functions needs them to log executions",
  "logs:PutResourcePolicy": "Step Functions' log delivery sets the log group resource policy; AWS requires Resource *",
  "logs:DescribeResourcePolicies": "Step Functions' log delivery reads resource policies; AWS requires Resource *",
  "greengrass:ResolveComponentCandidates":
    "has no resource-level permissions; a core device calls it to resolve the components of its deployments",
  "logs:DescribeLogGroups":
    "has no resource-level permissions for the call log delivery makes; AWS requires Resource *",
};

/** AWS-managed policies the program may attach (none is a FullAccess policy). */
export const MANAGED_POLICY_ALLOW_LIST: Record<string, string> = {
  AmazonSSMManagedInstanceCore:
    "exactly what the SSM agent needs for Session Manager access to the simulated device, which has no inbound port",
};
