import type { z } from "zod";

/**
 * An error as a Step Functions service integration reports it: `name` is the error a Retry or Catch matches (e.g.
 * `SageMaker.ValidationException`, or `States.TaskFailed` for a job that ended badly), the message its cause.
 */
export class ServiceError extends Error {
  constructor(
    override readonly name: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * A request as the service would take it, or the service's validation error: `error` (e.g.
 * `SageMaker.ValidationException`) with every bad field, after `context` (usually the API operation).
 */
export function parseRequest<T extends z.ZodType>(
  schema: T,
  request: unknown,
  error: string,
  context: string,
): z.output<T> {
  const parsed = schema.safeParse(request);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
    throw new ServiceError(error, `${context}: ${problems.join("; ")}`);
  }
  return parsed.data;
}
