import { S3Client } from "@aws-sdk/client-s3";
import { SFNClient } from "@aws-sdk/client-sfn";
import { SNSClient } from "@aws-sdk/client-sns";
import { z } from "zod";
import { stepFunctionsRunHistory } from "../../lib/aws/executionHistory";
import { stepFunctionsRunningExecutions } from "../../lib/aws/runningExecutions";
import { s3ObjectStore } from "../../lib/aws/s3ObjectStore";
import { snsAlerts } from "../../lib/aws/snsAlerts";
import { stepFunctionsStarter } from "../../lib/aws/stepFunctionsStarter";
import { readEnv } from "../../lib/env";
import { createLogger } from "../shared/logger";
import { onTrigger } from "./handler";

const env = readEnv({
  STATE_MACHINE_ARN: z.string().startsWith("arn:"),
  NAME_PREFIX: z.string().min(1),
  BUCKET_NAME: z.string().min(1),
  ALERTS_TOPIC_ARN: z.string().startsWith("arn:"),
});
const sfn = new SFNClient({});
const deps = {
  namePrefix: env.NAME_PREFIX,
  pipeline: stepFunctionsStarter(sfn, env.STATE_MACHINE_ARN),
  executions: stepFunctionsRunningExecutions(sfn),
  history: stepFunctionsRunHistory(sfn),
  objects: s3ObjectStore(new S3Client({}), env.BUCKET_NAME),
  alerts: snsAlerts(new SNSClient({}), env.ALERTS_TOPIC_ARN),
  log: createLogger("start-pipeline"),
};

export const handler = (event: unknown) => onTrigger(event, deps);
