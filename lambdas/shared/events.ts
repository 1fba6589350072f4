import type { z } from "zod";
import { InvalidEventError } from "../../lib/errors";

/** Parses a Lambda event; a mismatch names every bad field and what it expected. */
export function parseEvent<S extends z.ZodType>(
  schema: S,
  event: unknown,
  ErrorClass: new (message: string) => Error = InvalidEventError,
): z.output<S> {
  const parsed = schema.safeParse(event);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `${issue.path.join(".") || "(event)"}: ${issue.message}`);
  throw new ErrorClass(`invalid event: ${problems.join("; ")}`);
}
