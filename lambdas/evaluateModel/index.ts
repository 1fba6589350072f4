import { dataLakeFromEnv } from "../../lib/aws/s3ObjectStore";
import { createLogger } from "../shared/logger";
import { evaluateModel } from "./handler";

const deps = { objects: dataLakeFromEnv(), log: createLogger("evaluate-model") };

export const handler = (event: unknown) => evaluateModel(event, deps);
