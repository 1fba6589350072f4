import { Logger } from "@aws-lambda-powertools/logger";
import type { Log } from "../../lib/ports";

/** The Powertools logger every Lambda uses: JSON lines with the function name, request id and our fields. */
export function createLogger(serviceName: string): Log {
  const logger = new Logger({ serviceName });
  return {
    debug: (message, extra) => logger.debug(message, extra ?? {}),
    info: (message, extra) => logger.info(message, extra ?? {}),
    warn: (message, extra) => logger.warn(message, extra ?? {}),
    error: (message, extra) => logger.error(message, extra ?? {}),
  };
}
