import { dataLakeFromEnv } from "../../lib/aws/s3ObjectStore";
import { createLogger } from "../shared/logger";
import { checkFleetResults } from "./handler";

const deps = { objects: dataLakeFromEnv(), log: createLogger("check-fleet-results") };

export const handler = (event: unknown) => checkFleetResults(event, deps);
