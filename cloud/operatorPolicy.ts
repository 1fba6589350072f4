import * as pulumi from "@pulumi/pulumi";
import { DATA_LAKE_PREFIXES } from "../contracts/dataLake";
import { QUERY_RESULTS_PREFIX, resultsCatalogNames } from "../contracts/resultsLayout";
import { labelStoreCatalogNames } from "../contracts/labelStoreTable";
import { AccountScope, arnIn, PolicyStatement } from "./iam";

/**
 * What a person running the pipeline CLI (`npm run pipeline -- start|list|watch|stop|devices|results|labels|backfill|cleanup`)
 * needs in AWS for one stack: start and follow its runs, look at its core devices, query its results and labels, backfill
 * the pending index, and clean up what its runs leave behind. Not
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
  /** The label store's feature group (`labels` reads its offline store table through Athena). */
  featureGroupName: string;
}

/** Feature Store's own Glue database for offline store tables; a table is named after its group and creation time. */

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
    ...queryStatements(scope),
    ...backfillStatements(scope),
    // `cleanup --delete-data` only, on stacks whose config allows it: every version of every object, not the bucket.
    { sid: "ListDataLakeVersions", actions: ["s3:ListBucketVersions"], resources: [scope.bucketArn] },
    {
      sid: "DeleteDataLakeObjects",
      actions: ["s3:DeleteObject", "s3:DeleteObjectVersion"],
      resources: [`${scope.bucketArn}/*`],
    },
  ];
}

/**
 * `results` and `labels`: queries in the results workgroup over the results tables, and in the label store's
 * workgroup over its offline table. Athena reads the tables' data and writes its result files with the caller's
 * permissions. No glue:GetPartitions: the results tables use partition projection, the offline table has no partitions.
 */
function queryStatements(scope: OperatorScope): PolicyStatement[] {
  const arn = (service: string, resource: string) => arnIn(scope, service, resource);
  const { database, workgroup } = resultsCatalogNames(scope.namePrefix);
  const labels = labelStoreCatalogNames(scope.namePrefix);
  const { results, labelStoreOffline } = DATA_LAKE_PREFIXES;
  const read = [results, labelStoreOffline, QUERY_RESULTS_PREFIX];
  return [
    {
      sid: "QueryInResultsWorkgroup",
      actions: [
        "athena:StartQueryExecution",
        "athena:GetQueryExecution",
        "athena:GetQueryResults",
        "athena:StopQueryExecution",
      ],
      resources: [arn("athena", `workgroup/${workgroup}`), arn("athena", `workgroup/${labels.workgroup}`)],
    },
    {
      sid: "ReadQueriedTables",
      actions: ["glue:GetDatabase", "glue:GetTable"],
      resources: [
        arn("glue", "catalog"),
        arn("glue", `database/${database}`),
        arn("glue", `table/${database}/*`),
        arn("glue", `database/${labels.database}`),
        arn("glue", `table/${labels.database}/${labels.table}`),
      ],
    },
    {
      sid: "ReadQueriedData",
      actions: ["s3:GetObject"],
      resources: read.map((prefix) => `${scope.bucketArn}/${prefix}*`),
    },
    {
      sid: "ListQueriedData",
      actions: ["s3:ListBucket"],
      resources: [scope.bucketArn],
      conditions: { StringLike: { "s3:prefix": read.map((prefix) => `${prefix}*`) } },
    },
    {
      sid: "WriteQueryResults",
      actions: ["s3:PutObject", "s3:AbortMultipartUpload"],
      resources: [`${scope.bucketArn}/${QUERY_RESULTS_PREFIX}*`],
    },
    { sid: "FindQueryBucket", actions: ["s3:GetBucketLocation"], resources: [scope.bucketArn] },
  ];
}

/** `backfill`: list the images and the pending index once, look up their labels, write the missing pending markers. */
function backfillStatements(scope: OperatorScope): PolicyStatement[] {
  const { images, pending } = DATA_LAKE_PREFIXES;
  return [
    {
      sid: "ListImagesAndPendingIndex",
      actions: ["s3:ListBucket"],
      resources: [scope.bucketArn],
      conditions: { StringLike: { "s3:prefix": [`${images}*`, `${pending}*`] } },
    },
    { sid: "WritePendingMarkers", actions: ["s3:PutObject"], resources: [`${scope.bucketArn}/${pending}*`] },
    {
      sid: "LookUpLabels",
      actions: ["sagemaker:BatchGetRecord"],
      resources: [arnIn(scope, "sagemaker", `feature-group/${scope.featureGroupName}`)],
    },
  ];
}
