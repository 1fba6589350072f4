import { emitMetrics } from "./handler";

const deps = { write: (line: string) => process.stdout.write(line), now: () => Date.now() };

export const handler = (event: unknown): Promise<void> => Promise.resolve(emitMetrics(event, deps));
