import type { Command } from "commander";
import { z } from "zod";
import { AWS_REGION } from "../contracts/awsNames";
import { UsageError } from "./errors";
import { PulumiRunner, stateMachineArnFromStack } from "./stack";

export const STATUSES = ["RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED", "PENDING_REDRIVE"] as const;

/** Flags are validated here, at the boundary; each message names the flag and the form it wants. */
export const flag = {
  region: z.string().regex(AWS_REGION, "--region must be an AWS region such as eu-west-1"),
  stack: z.string().regex(/^[A-Za-z0-9._\-/]+$/, "--stack must be a stack name such as dev"),
  stateMachineArn: z
    .string()
    .regex(
      /^arn:[a-z-]+:states:[a-z0-9-]+:\d{12}:stateMachine:[A-Za-z0-9_-]+$/,
      "--state-machine-arn must look like arn:aws:states:<region>:<account>:stateMachine:<name>",
    ),
  name: z.string().regex(/^[A-Za-z0-9_-]{1,80}$/, "--name must be 1–80 letters, digits, - or _"),
  max: z.coerce
    .number({ error: "--max must be a whole number from 1 to 1000" })
    .int("--max must be a whole number from 1 to 1000")
    .min(1, "--max must be a whole number from 1 to 1000")
    .max(1000, "--max must be a whole number from 1 to 1000"),
  status: z.enum(STATUSES, { error: `--status must be one of ${STATUSES.join(", ")}` }),
};

/** The flag's value if the schema takes it; otherwise a usage error (exit 2) naming the flag and what it got. */
export function check<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new UsageError(`${result.error.issues[0].message} (got ${JSON.stringify(value)})`);
  return result.data;
}

/** How a command names the state machine it works on. */
export interface TargetOptions {
  stack?: string;
  stateMachineArn?: string;
}

/** Adds --stack and --state-machine-arn to a command that works on the state machine. */
export function withTarget(command: Command): Command {
  return command
    .option("--stack <stack>", "Pulumi stack whose outputs name the state machine (default: the selected stack)")
    .option("--state-machine-arn <arn>", "the state machine, instead of reading it from the stack");
}

/**
 * The state machine the flags name: --state-machine-arn, else the stack's output. Not `required`, and neither flag
 * given (an execution named by its ARN needs no state machine): undefined.
 */
export async function stateMachineArnOf(
  options: TargetOptions,
  required: boolean,
  pulumi: PulumiRunner | undefined,
): Promise<string | undefined> {
  if (options.stateMachineArn) return check(flag.stateMachineArn, options.stateMachineArn);
  if (options.stack !== undefined) check(flag.stack, options.stack);
  if (!required && options.stack === undefined) return undefined;
  return stateMachineArnFromStack(options.stack, pulumi);
}
