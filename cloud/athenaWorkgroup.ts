import * as pulumi from "@pulumi/pulumi";
import { QUERY_RESULTS_PREFIX } from "../contracts/resultsLayout";

/**
 * How the stack's Athena workgroups run queries: their settings enforced, metrics published, and every result file
 * encrypted in the data lake under `tmp/query-results/` (where the lake's expiry removes it). `scanLimitBytes`, where
 * given, cancels a query that would scan more.
 */
export function workgroupConfiguration(bucketName: pulumi.Input<string>, scanLimitBytes?: number) {
  return {
    enforceWorkgroupConfiguration: true,
    publishCloudwatchMetricsEnabled: true,
    ...(scanLimitBytes === undefined ? {} : { bytesScannedCutoffPerQuery: scanLimitBytes }),
    resultConfiguration: {
      outputLocation: pulumi.interpolate`s3://${bucketName}/${QUERY_RESULTS_PREFIX}`,
      encryptionConfiguration: { encryptionOption: "SSE_S3" },
    },
  };
}
