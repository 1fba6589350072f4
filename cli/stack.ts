import { execFile } from "node:child_process";
import * as path from "node:path";
import { ConfigError, parseStackConfig, StackConfig } from "../config/schema";
import { readStackConfig } from "../config/stackFiles";
import { CliError, EXIT, UsageError } from "./errors";

/** The Pulumi project: `Pulumi.yaml` and the stack files. */
export const PROJECT_DIR = path.resolve(__dirname, "..");

/** The stack output that names the state machine (see index.ts). */
export const STATE_MACHINE_OUTPUT = "stateMachineArn";
export const CORE_DEVICES_OUTPUT = "coreDeviceThingNames";

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

/**
 * A stack's outputs (`pulumi stack output --json`); no stack = the selected one. `alternative` is what to do instead
 * when the Pulumi CLI is missing, if there is anything.
 */
export async function stackOutputs(
  stack: string | undefined,
  pulumi: PulumiRunner = runPulumi,
  alternative: string | null = "pass --state-machine-arn",
): Promise<Record<string, unknown>> {
  const args = ["stack", "output", "--json", ...(stack ? ["--stack", stack] : [])];
  let stdout: string;
  try {
    ({ stdout } = await pulumi(args));
  } catch (error) {
    const { code, stderr = "" } = error as { code?: string | number; stderr?: string };
    if (code === "ENOENT") {
      throw new CliError(`the Pulumi CLI is not on PATH: install it${alternative ? `, or ${alternative}` : ""}`);
    }
    const detail = stderr.trim().split("\n")[0] || `pulumi exited with ${code}`;
    if (/no stack named|stack .* not found|no stack selected/i.test(stderr)) {
      throw new CliError(`unknown stack${stack ? ` "${stack}"` : ""}: ${detail} (see \`pulumi stack ls\`)`);
    }
    throw new CliError(`could not read the stack outputs: ${detail}`);
  }
  return JSON.parse(stdout) as Record<string, unknown>;
}

function missingOutput(stack: string | undefined, output: string): CliError {
  return new CliError(`stack ${stack ?? "(selected)"} has no ${output} output: run \`pulumi up\` to deploy it`);
}

/** Reads the state machine ARN from a stack's outputs. */
export async function stateMachineArnFromStack(stack: string | undefined, pulumi: PulumiRunner = runPulumi) {
  const arn = (await stackOutputs(stack, pulumi))[STATE_MACHINE_OUTPUT];
  if (typeof arn !== "string") throw missingOutput(stack, STATE_MACHINE_OUTPUT);
  return arn;
}

/** The thing names of the stack's core devices (see index.ts). */
export async function coreDevicesFromStack(stack: string | undefined, pulumi: PulumiRunner = runPulumi) {
  const names = (await stackOutputs(stack, pulumi, "name the devices with --thing"))[CORE_DEVICES_OUTPUT];
  if (!Array.isArray(names)) throw missingOutput(stack, CORE_DEVICES_OUTPUT);
  return names.map(String);
}

/** The name of the selected stack (`pulumi stack --show-name`), for commands that need one. */
export async function selectedStackName(pulumi: PulumiRunner = runPulumi): Promise<string> {
  try {
    return (await pulumi(["stack", "--show-name"])).stdout.trim();
  } catch (error) {
    const { code, stderr = "" } = error as { code?: string | number; stderr?: string };
    if (code === "ENOENT") throw new CliError("the Pulumi CLI is not on PATH: install it");
    throw new CliError(
      `no stack selected: ${stderr.trim().split("\n")[0] || `pulumi exited with ${code}`} (pass --stack)`,
    );
  }
}

/** A stack's validated config, read from `Pulumi.<stack>.yaml` and the declared defaults, without the Pulumi CLI. */
export function stackConfigFromFile(projectDir: string, stack: string): StackConfig {
  // `org/project/dev` is stack dev, whose file is Pulumi.dev.yaml.
  const name = stack.split("/").at(-1)!;
  let raw: Record<string, string>;
  try {
    raw = readStackConfig(projectDir, name);
  } catch (error) {
    if ((error as { code?: string }).code !== "ENOENT") throw error;
    throw new UsageError(`stack ${stack}: there is no Pulumi.${name}.yaml in ${projectDir} to read its settings from`);
  }
  try {
    return parseStackConfig(raw, name);
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(`Pulumi.${name}.yaml: ${error.message}`, EXIT.usage);
    throw error;
  }
}
