import { SFNClient } from "@aws-sdk/client-sfn";
import { stepFunctionsRunningExecutions } from "../../lib/aws/runningExecutions";
import { createLogger } from "../shared/logger";
import { startRun } from "./handler";

const deps = { log: createLogger("start-run"), executions: stepFunctionsRunningExecutions(new SFNClient({})) };

export const handler = (event: unknown) => startRun(event, deps);
