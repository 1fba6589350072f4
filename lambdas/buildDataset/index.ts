import { AthenaClient } from "@aws-sdk/client-athena";
import { S3Client } from "@aws-sdk/client-s3";
import { labelStoreTableSql } from "../../contracts/labelStoreTable";
import { AthenaQueryEngine } from "../../lib/aws/athenaQueryEngine";
import { labelStoreFromEnv } from "../../lib/aws/featureStoreLabelStore";
import { dataLakeFromEnv } from "../../lib/aws/s3ObjectStore";
import { labelStoreQueryFromEnv } from "../../lib/labels/queryEnvironment";
import { createLogger } from "../shared/logger";
import { buildDataset } from "./handler";

/** Athena over the label store's offline table, where the stack asks for it (`dataset.athenaAboveImages`). */
function athenaSplitEngine() {
  const target = labelStoreQueryFromEnv();
  if (!target) return undefined;
  // With an S3 client the engine streams Athena's result file instead of paging 1,000 rows a call.
  const engine = new AthenaQueryEngine(new AthenaClient({}), target, { s3: new S3Client({}) });
  return { engine, table: labelStoreTableSql(target) };
}

const deps = {
  objects: dataLakeFromEnv(),
  labels: labelStoreFromEnv(),
  log: createLogger("build-dataset"),
  splitEngine: athenaSplitEngine(),
};

export const handler = (event: unknown) => buildDataset(event, deps);
