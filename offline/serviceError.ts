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
