import { labelStoreFromEnv } from "../../lib/aws/featureStoreLabelStore";
import { dataLakeFromEnv } from "../../lib/aws/s3ObjectStore";
import { createLogger } from "../shared/logger";
import { findUnlabeledImages } from "./handler";

const deps = { objects: dataLakeFromEnv(), labels: labelStoreFromEnv(), log: createLogger("find-unlabeled-images") };

export const handler = (event: unknown) => findUnlabeledImages(event, deps);
