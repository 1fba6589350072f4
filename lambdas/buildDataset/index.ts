import { labelStoreFromEnv } from "../shared/aws/featureStoreLabelStore";
import { dataLakeFromEnv } from "../shared/aws/s3ObjectStore";
import { createLogger } from "../shared/logger";
import { buildDataset } from "./handler";

const deps = { objects: dataLakeFromEnv(), labels: labelStoreFromEnv(), log: createLogger("build-dataset") };

export const handler = (event: unknown) => buildDataset(event, deps);
