import { SFNClient } from "@aws-sdk/client-sfn";
import { z } from "zod";
import { stepFunctionsStarter } from "../../lib/aws/stepFunctionsStarter";
import { readEnv } from "../../lib/env";
import { createLogger } from "../shared/logger";
import { startPipeline } from "./handler";

const { STATE_MACHINE_ARN } = readEnv({ STATE_MACHINE_ARN: z.string().startsWith("arn:") });
const deps = {
  pipeline: stepFunctionsStarter(new SFNClient({}), STATE_MACHINE_ARN),
  log: createLogger("start-pipeline"),
};

export const handler = (event: unknown) => startPipeline(event, deps);
