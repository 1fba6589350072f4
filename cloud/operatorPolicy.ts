import * as pulumi from "@pulumi/pulumi";
import { AccountScope, arnIn, PolicyStatement } from "./iam";

/**
 * What a person running the pipeline CLI (`npm run pipeline -- start|list|watch|stop|devices|cleanup`) needs in AWS
 * for one stack: start and follow its runs, look at its core devices, and clean up what its runs leave behind. Not
 * created by the program (operators bring their own identity); docs/cli-operator-policy.json is this, rendered for
 * placeholders, and test/cloud/operatorPolicy.test.ts proves every CLI call Allowed and keeps the file current.
 */
export interface OperatorScope extends AccountScope {
  namePrefix: string;
  stateMachineName: string;
  bucketArn: string;
  modelPackageGroupName: string;
  componentNames: string[];
  coreDevices: string[];
}

export function cliOperatorStatements(scope: OperatorScope): PolicyStatement[] {
  const arn = (service: string, resource: string) => arnIn(scope, service, resource);
  const job = (kind: string) => arn("sagemaker", `${kind}/${scope.namePrefix}-*`);
  const components = scope.componentNames.map((name) => arn("greengrass", `components:${name}`));
  return [
    {
      sid: "RunPipeline",
      actions: ["states:StartExecution", "states:ListExecutions"],
      resources: [arn("states", `stateMachine:${scope.stateMachineName}`)],
    },
    {
      sid: "FollowRuns",
      actions: ["states:DescribeExecution", "states:GetExecutionHistory", "states:StopExecution"],
      resources: [arn("states", `execution:${scope.stateMachineName}:*`)],
    },
    {
      // List actions of SageMaker jobs and Greengrass components have no resource-level permissions: AWS requires
      // Resource "*"; cleanup filters by the stack's name prefix itself.
      sid: "FindLeftovers",
      actions: [
        "sagemaker:ListLabelingJobs",
        "sagemaker:ListTrainingJobs",
        "sagemaker:ListCompilationJobs",
        "sagemaker:ListModelPackages",
        "greengrass:ListDeployments",
        "greengrass:ListComponents",
      ],
      resources: ["*"],
    },
    {
      sid: "StopStackJobs",
      actions: [
        "sagemaker:StopLabelingJob",
        "sagemaker:StopTrainingJob",
        "sagemaker:StopCompilationJob",
        "sagemaker:ListTags",
      ],
      resources: [job("labeling-job"), job("training-job"), job("compilation-job")],
    },
    {
      sid: "DeleteStackModelPackages",
      actions: ["sagemaker:DeleteModelPackage"],
      resources: [arn("sagemaker", `model-package/${scope.modelPackageGroupName}/*`)],
    },
    {
      // Deployment ids are generated, so the stack's deployments cannot be named more narrowly.
      sid: "RetireDeployments",
      actions: ["greengrass:CancelDeployment", "greengrass:DeleteDeployment"],
      resources: [arn("greengrass", "deployments:*")],
    },
    {
      // Cancelling a deployment cancels its IoT job (https://docs.aws.amazon.com/service-authorization/latest/
      // reference/list_awsiotgreengrassv2.html, CancelDeployment's dependent actions); deleting it deletes the job.
      sid: "RetireDeploymentJobs",
      actions: ["iot:CancelJob", "iot:DescribeJob", "iot:UpdateJob", "iot:DeleteJob"],
      resources: [arn("iot", "job/*")],
    },
    {
      sid: "DeleteStackComponentVersions",
      actions: ["greengrass:ListComponentVersions", "greengrass:DeleteComponent"],
      resources: [...components, ...components.map((component) => pulumi.interpolate`${component}:versions:*`)],
    },
    ...(scope.coreDevices.length === 0
      ? []
      : [
          {
            sid: "InspectAndRemoveCoreDevices",
            actions: [
              "greengrass:GetCoreDevice",
              "greengrass:ListEffectiveDeployments",
              "greengrass:ListInstalledComponents",
              "greengrass:DeleteCoreDevice",
            ],
            resources: scope.coreDevices.map((thing) => arn("greengrass", `coreDevices:${thing}`)),
          },
        ]),
    // `cleanup --delete-data` only, on stacks whose config allows it: every version of every object, not the bucket.
    { sid: "ListDataLakeVersions", actions: ["s3:ListBucketVersions"], resources: [scope.bucketArn] },
    {
      sid: "DeleteDataLakeObjects",
      actions: ["s3:DeleteObject", "s3:DeleteObjectVersion"],
      resources: [`${scope.bucketArn}/*`],
    },
  ];
}
