import { createLogger } from "../shared/logger";
import { startRun } from "./handler";

const log = createLogger("start-run");

export const handler = (event: unknown) => startRun(event, { log });
