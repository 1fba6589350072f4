import { labelStoreFromEnv } from "../shared/aws/featureStoreLabelStore";
import { dataLakeFromEnv } from "../shared/aws/s3ObjectStore";
import { createLogger } from "../shared/logger";
import { ingestLabels } from "./handler";

const deps = { objects: dataLakeFromEnv(), labels: labelStoreFromEnv(), log: createLogger("ingest-labels") };

export const handler = (event: unknown) => ingestLabels(event, deps);
