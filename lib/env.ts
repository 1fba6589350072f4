import { z } from "zod";

/** Reads the environment a function's Pulumi component sets; a missing variable fails at cold start, by name. */
export function readEnv<S extends z.ZodRawShape>(shape: S): z.output<z.ZodObject<S>> {
  const parsed = z.object(shape).safeParse(process.env);
  if (!parsed.success) {
    const names = parsed.error.issues.map((issue) => issue.path.join("."));
    throw new Error(`missing or invalid environment variables: ${names.join(", ")}`);
  }
  return parsed.data;
}
