/**
 * The component's log: one line per event, results on stdout, problems on stderr (Greengrass keeps both in the
 * component log and adds its own timestamps).
 */
export interface Log {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export const consoleLog: Log = {
  info: (message) => process.stdout.write(`${message}\n`),
  warn: (message) => process.stderr.write(`WARN ${message}\n`),
  error: (message) => process.stderr.write(`ERROR ${message}\n`),
};

/** Drops everything; for library use and benchmarks. */
export const silentLog: Log = { info: () => {}, warn: () => {}, error: () => {} };
