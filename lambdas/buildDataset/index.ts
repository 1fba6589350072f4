import { labelStoreFromEnv } from "../../lib/aws/featureStoreLabelStore";
import { dataLakeFromEnv } from "../../lib/aws/s3ObjectStore";
import { createLogger } from "../shared/logger";
import { buildDataset } from "./handler";

const deps = { objects: dataLakeFromEnv(), labels: labelStoreFromEnv(), log: createLogger("build-dataset") };

export const handler = (event: unknown) => buildDataset(event, deps);
