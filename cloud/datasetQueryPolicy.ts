import { DATA_LAKE_PREFIXES } from "../contracts/dataLake";
import { labelStoreCatalogNames } from "../contracts/labelStoreTable";
import { QUERY_RESULTS_PREFIX } from "../contracts/resultsLayout";
import { arnIn, objectsUnder, PolicyStatement } from "./iam";
import type { PipelineScope } from "./pipelinePolicies";

/**
 * What BuildDataset may do besides its own reads and writes when it hands large datasets to Athena
 * (`dataset.athenaAboveImages`): query in the label store's workgroup over the offline store's table, and read the
 * run's selection. Athena reads the table's files and writes its result file with the caller's permissions; the
 * handler then reads that file itself. No glue:GetPartitions: the table has no partitions.
 */
export function datasetQueryStatements(scope: PipelineScope): PolicyStatement[] {
  const arn = (service: string, resource: string) => arnIn(scope, service, resource);
  const { database, table, workgroup } = labelStoreCatalogNames(scope.namePrefix);
  const { labelStoreOffline, labeling } = DATA_LAKE_PREFIXES;
  const objects = (prefix: string) => objectsUnder(scope.bucketArn, prefix);
  return [
    {
      sid: "QueryLabelStore",
      actions: ["athena:StartQueryExecution", "athena:GetQueryExecution", "athena:GetQueryResults"],
      resources: [arn("athena", `workgroup/${workgroup}`)],
    },
    {
      sid: "ReadLabelStoreTable",
      actions: ["glue:GetDatabase", "glue:GetTable"],
      resources: [
        arn("glue", "catalog"),
        arn("glue", `database/${database}`),
        arn("glue", `table/${database}/${table}`),
      ],
    },
    {
      // The offline store's files (Athena), the query's result file, and the run's selection (its fresh labels).
      sid: "ReadLabelStoreHistory",
      actions: ["s3:GetObject"],
      resources: [labelStoreOffline, QUERY_RESULTS_PREFIX, labeling].map(objects),
    },
    {
      sid: "ListLabelStoreHistory",
      actions: ["s3:ListBucket"],
      resources: [scope.bucketArn],
      conditions: { StringLike: { "s3:prefix": [labelStoreOffline, labeling].map((prefix) => `${prefix}*`) } },
    },
    {
      sid: "WriteQueryResults",
      actions: ["s3:PutObject", "s3:AbortMultipartUpload"],
      resources: [objects(QUERY_RESULTS_PREFIX)],
    },
    { sid: "FindQueryBucket", actions: ["s3:GetBucketLocation"], resources: [scope.bucketArn] },
  ];
}
