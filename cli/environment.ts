import { createInterface } from "node:readline/promises";
import { GreengrassV2Client } from "@aws-sdk/client-greengrassv2";
import { S3Client } from "@aws-sdk/client-s3";
import { SageMakerClient } from "@aws-sdk/client-sagemaker";
import { SFNClient } from "@aws-sdk/client-sfn";
import { z } from "zod";
import { pipelineInputSchema } from "../contracts/pipelineInput";
import type { StageDefinition } from "../stateMachines/progress";
import { PIPELINE_STAGES } from "../stateMachines/stages";
import type { CleanupPorts } from "./ports";
import type { PulumiRunner } from "./stack";

export interface Output {
  write(text: string): unknown;
  isTTY?: boolean;
}

/** Everything the CLI touches outside itself, so tests can run it in-process against a local endpoint. */
export interface CliEnvironment {
  stdout: Output;
  stderr: Output;
  createClient: (region: string | undefined) => SFNClient;
  createGreengrassClient: (region: string | undefined) => GreengrassV2Client;
  createSageMakerClient: (region: string | undefined) => SageMakerClient;
  createS3Client: (region: string | undefined) => S3Client;
  /** The services `cleanup` lists and removes in; by default the AWS SDK adapters over the clients above. */
  createCleanupPorts?: (region: string) => CleanupPorts;
  /** The Pulumi project whose stack files `cleanup` reads; the repository by default. */
  projectDir?: string;
  /** Asks a question on the terminal; absent when there is no terminal to ask on. */
  prompt?: (question: string) => Promise<string>;
  stages: readonly StageDefinition[];
  /** The schema of an execution's input: the one the state machine's first state validates with. */
  inputSchema: z.ZodType;
  pulumi?: PulumiRunner;
  now: () => Date;
  sleep: (ms: number) => Promise<void>;
  pollMs: number;
  maxPollMs: number;
}

export function defaultEnvironment(): CliEnvironment {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    // Region and credentials come from the standard AWS SDK chain unless --region is given.
    createClient: (region) => new SFNClient(region ? { region } : {}),
    createGreengrassClient: (region) => new GreengrassV2Client(region ? { region } : {}),
    createSageMakerClient: (region) => new SageMakerClient(region ? { region } : {}),
    createS3Client: (region) => new S3Client(region ? { region } : {}),
    prompt: process.stdin.isTTY ? ask : undefined,
    stages: PIPELINE_STAGES,
    inputSchema: pipelineInputSchema,
    now: () => new Date(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    pollMs: 2_000,
    maxPollMs: 15_000,
  };
}

/** One answer from the terminal; the question goes to stderr, so stdout stays clean for --json. */
async function ask(question: string): Promise<string> {
  const terminal = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return await terminal.question(question);
  } finally {
    terminal.close();
  }
}
