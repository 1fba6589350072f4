import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { DATA_LAKE_PREFIXES } from "../contracts/dataLake";
import { deepLearningContainersAccount, partitionOf, PYTORCH_TRAINING_REPOSITORY } from "../lib/deepLearningContainers";
import { objectsUnder, policyDocument, serviceTrustPolicy } from "../cloud/iam";

export interface SageMakerExecutionRoleArgs {
  bucketArn: pulumi.Input<string>;
  region: string;
  accountId: pulumi.Input<string>;
}

/**
 * The role SageMaker training jobs and Neo compilation jobs run as: read datasets, images and training code, write
 * model artifacts, pull the PyTorch training image, write logs and metrics; Neo reads a model and writes its compiled
 * version. Scoped to our prefixes; no managed policies.
 */
export class SageMakerExecutionRole extends pulumi.ComponentResource {
  public readonly roleArn: pulumi.Output<string>;
  public readonly roleName: pulumi.Output<string>;

  constructor(name: string, args: SageMakerExecutionRoleArgs, opts?: pulumi.ComponentResourceOptions) {
    super("qualityinspection:iam:SageMakerExecutionRole", name, {}, opts);
    const { bucketArn, region, accountId } = args;
    const partition = partitionOf(region);
    const readable = [DATA_LAKE_PREFIXES.datasets, DATA_LAKE_PREFIXES.images, DATA_LAKE_PREFIXES.trainingCode];

    const role = new aws.iam.Role(
      `${name}-role`,
      {
        description: "Execution role of the quality-inspection SageMaker training and compilation jobs",
        assumeRolePolicy: serviceTrustPolicy("sagemaker.amazonaws.com", accountId),
      },
      { parent: this },
    );

    new aws.iam.RolePolicy(
      `${name}-access`,
      {
        role: role.id,
        policy: policyDocument([
          {
            sid: "ReadTrainingInputs",
            actions: ["s3:GetObject"],
            resources: readable.map((prefix) => objectsUnder(bucketArn, prefix)),
          },
          {
            sid: "ListTrainingInputs",
            actions: ["s3:ListBucket"],
            resources: [bucketArn],
            conditions: { StringLike: { "s3:prefix": readable.map((prefix) => `${prefix}*`) } },
          },
          {
            sid: "WriteModelArtifacts",
            actions: ["s3:PutObject"],
            resources: [objectsUnder(bucketArn, DATA_LAKE_PREFIXES.models)],
          },
          {
            sid: "ReadModelsToCompile",
            actions: ["s3:GetObject"],
            resources: [objectsUnder(bucketArn, DATA_LAKE_PREFIXES.models)],
          },
          {
            sid: "WriteCompiledModels",
            actions: ["s3:PutObject"],
            resources: [objectsUnder(bucketArn, DATA_LAKE_PREFIXES.compiled)],
          },
          {
            sid: "PullPyTorchTrainingImage",
            actions: ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"],
            resources: [
              `arn:${partition}:ecr:${region}:${deepLearningContainersAccount(region)}:repository/${PYTORCH_TRAINING_REPOSITORY}`,
            ],
          },
          {
            // GetAuthorizationToken has no resource-level permissions: AWS requires Resource "*".
            sid: "AuthenticateToEcr",
            actions: ["ecr:GetAuthorizationToken"],
            resources: ["*"],
          },
          {
            sid: "WriteJobLogs",
            actions: ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
            resources: ["TrainingJobs", "CompilationJobs"].flatMap((jobs) => [
              pulumi.interpolate`arn:${partition}:logs:${region}:${accountId}:log-group:/aws/sagemaker/${jobs}`,
              pulumi.interpolate`arn:${partition}:logs:${region}:${accountId}:log-group:/aws/sagemaker/${jobs}:*`,
            ]),
          },
          {
            // PutMetricData has no resource-level permissions: AWS requires Resource "*"; the namespace is pinned.
            sid: "PublishTrainingMetrics",
            actions: ["cloudwatch:PutMetricData"],
            resources: ["*"],
            conditions: { StringEquals: { "cloudwatch:namespace": ["/aws/sagemaker/TrainingJobs"] } },
          },
        ]),
      },
      { parent: this },
    );

    this.roleArn = role.arn;
    this.roleName = role.name;
    this.registerOutputs({ roleArn: this.roleArn, roleName: this.roleName });
  }
}
