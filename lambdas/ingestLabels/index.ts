import { labelStoreFromEnv } from "../../lib/aws/featureStoreLabelStore";
import { dataLakeFromEnv } from "../../lib/aws/s3ObjectStore";
import { createLogger } from "../shared/logger";
import { ingestLabels } from "./handler";

const deps = { objects: dataLakeFromEnv(), labels: labelStoreFromEnv(), log: createLogger("ingest-labels") };

export const handler = (event: unknown) => ingestLabels(event, deps);
