import { SFNClient } from "@aws-sdk/client-sfn";
import { z } from "zod";
import { stepFunctionsRunningExecutions } from "../../lib/aws/runningExecutions";
import { dataLakeFromEnv } from "../../lib/aws/s3ObjectStore";
import { stepFunctionsStarter } from "../../lib/aws/stepFunctionsStarter";
import { readEnv } from "../../lib/env";
import { createLogger } from "../shared/logger";
import { newImages } from "./handler";

const env = readEnv({
  STATE_MACHINE_ARN: z.string().startsWith("arn:"),
  MIN_IMAGES: z.coerce.number().int().positive(),
  MAX_WAIT_MINUTES: z.coerce.number().int().positive(),
});
const sfn = new SFNClient({});
const deps = {
  objects: dataLakeFromEnv(),
  pipeline: stepFunctionsStarter(sfn, env.STATE_MACHINE_ARN),
  running: stepFunctionsRunningExecutions(sfn),
  settings: {
    stateMachineArn: env.STATE_MACHINE_ARN,
    minImages: env.MIN_IMAGES,
    maxWaitMinutes: env.MAX_WAIT_MINUTES,
  },
  log: createLogger("new-images"),
};

export const handler = (event: unknown) => newImages(event, deps);
