import { dataLakeFromEnv } from "../../lib/aws/s3ObjectStore";
import { createLogger } from "../shared/logger";
import { prepareLabelingJob } from "./handler";

const deps = { objects: dataLakeFromEnv(), log: createLogger("prepare-labeling-job") };

export const handler = (event: unknown) => prepareLabelingJob(event, deps);
