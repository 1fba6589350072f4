import { execFile } from "node:child_process";
import * as path from "node:path";
import { CliError } from "./errors";

const PROJECT_DIR = path.resolve(__dirname, "..");

/** The stack output that names the state machine (see index.ts). */
export const STATE_MACHINE_OUTPUT = "stateMachineArn";

export interface PulumiRunner {
  (args: string[]): Promise<{ stdout: string }>;
}

const runPulumi: PulumiRunner = (args) =>
  new Promise((resolve, reject) => {
    execFile("pulumi", args, { cwd: PROJECT_DIR, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(Object.assign(error, { stderr }));
      else resolve({ stdout });
    });
  });

/** Reads the state machine ARN from a stack's outputs (`pulumi stack output --json`); no stack = the selected one. */
export async function stateMachineArnFromStack(stack: string | undefined, pulumi: PulumiRunner = runPulumi) {
  const args = ["stack", "output", "--json", ...(stack ? ["--stack", stack] : [])];
  let stdout: string;
  try {
    ({ stdout } = await pulumi(args));
  } catch (error) {
    const { code, stderr = "" } = error as { code?: string | number; stderr?: string };
    if (code === "ENOENT") {
      throw new CliError("the Pulumi CLI is not on PATH: install it, or pass --state-machine-arn");
    }
    const detail = stderr.trim().split("\n")[0] || `pulumi exited with ${code}`;
    if (/no stack named|stack .* not found|no stack selected/i.test(stderr)) {
      throw new CliError(`unknown stack${stack ? ` "${stack}"` : ""}: ${detail} (see \`pulumi stack ls\`)`);
    }
    throw new CliError(`could not read the stack outputs: ${detail}`);
  }
  const outputs = JSON.parse(stdout) as Record<string, unknown>;
  const arn = outputs[STATE_MACHINE_OUTPUT];
  if (typeof arn !== "string") {
    throw new CliError(
      `stack ${stack ?? "(selected)"} has no ${STATE_MACHINE_OUTPUT} output: run \`pulumi up\` to deploy the pipeline`,
    );
  }
  return arn;
}
