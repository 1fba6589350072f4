/** Exit codes: 0 success, 1 the execution (or an AWS call) failed, 2 the command line was wrong. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failed,
  ) {
    super(message);
    this.name = "CliError";
  }
}

export class UsageError extends CliError {
  constructor(message: string) {
    super(message, EXIT.usage);
    this.name = "UsageError";
  }
}

/** Turns an AWS SDK error into a message a user can act on; `target` names what the call was about. */
export function explainAwsError(error: unknown, target: string): CliError {
  if (error instanceof CliError) return error;
  const { name = "Error", message = String(error) } = error as { name?: string; message?: string };
  switch (name) {
    case "ExecutionDoesNotExist":
      return new CliError(`execution not found: ${target}`);
    case "StateMachineDoesNotExist":
      return new CliError(`state machine not found: ${target} (is the stack deployed? run \`pulumi up\`)`);
    case "ExecutionAlreadyExists":
      return new CliError(`an execution with this name already exists: ${target} — watch it, or pass another --name`);
    case "AccessDeniedException":
      return new CliError(`access denied on ${target}: ${message}`);
    case "CredentialsProviderError":
      return new CliError(
        "no AWS credentials found: set AWS_PROFILE (or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY), or run `aws sso login`",
      );
    case "UnrecognizedClientException":
    case "InvalidSignatureException":
    case "ExpiredTokenException":
      return new CliError(`AWS rejected the credentials in use (${name}): ${message}`);
    case "InvalidArn":
    case "InvalidName":
      return new UsageError(`${name === "InvalidArn" ? "invalid ARN" : "invalid name"} ${target}: ${message}`);
    case "ThrottlingException":
      return new CliError(`Step Functions kept throttling requests for ${target}; try again in a minute`);
    default:
      if (/ECONNREFUSED|ENOTFOUND|ETIMEDOUT|EAI_AGAIN/.test(message)) {
        return new CliError(`cannot reach Step Functions for ${target}: ${message} (check the network and the region)`);
      }
      if (/region is missing/i.test(message)) {
        return new UsageError("no AWS region: set AWS_REGION, configure a profile region, or pass --region");
      }
      return new CliError(`${name} on ${target}: ${message}`);
  }
}
