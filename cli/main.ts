import { Command, CommanderError } from "commander";
import { requireDeclaredRuntime } from "../lib/runtime";
import * as cleanup from "./commands/cleanup";
import * as describe from "./commands/describe";
import * as devices from "./commands/devices";
import * as list from "./commands/list";
import * as start from "./commands/start";
import * as stop from "./commands/stop";
import * as watch from "./commands/watch";
import { CommandContext } from "./context";
import { CliEnvironment, defaultEnvironment } from "./environment";
import { CliError, EXIT, explainAwsError } from "./errors";

export { defaultEnvironment } from "./environment";
export type { CliEnvironment, Output } from "./environment";

/** The commands, in the order `--help` lists them; each registers itself on the program. */
const COMMANDS = [start, watch, describe, list, stop, devices, cleanup];

/** Runs one command line; returns the exit code (0 ok, 1 failed, 2 usage: see errors.ts). */
export async function runCli(argv: string[], env: CliEnvironment): Promise<number> {
  const context = new CommandContext(env);
  const program = new Command("qi-pipeline")
    .description("Start, watch, list and stop executions of the quality-inspection pipeline")
    .option("--region <region>", "AWS region (default: the AWS SDK's region chain)")
    .option("--json", "print machine-readable JSON only")
    .exitOverride()
    .configureOutput({ writeOut: (s) => env.stdout.write(s), writeErr: (s) => env.stderr.write(s) })
    .hook("preAction", (command) => context.readGlobals(command));
  for (const command of COMMANDS) command.register(program, context);

  try {
    await program.parseAsync(argv, { from: "user" });
    return context.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here too, with code 0.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    const cliError = error instanceof CliError ? error : explainAwsError(error, "the request");
    env.stderr.write(`error: ${cliError.message}\n`);
    return cliError.exitCode;
  }
}

export async function main(): Promise<void> {
  requireDeclaredRuntime("pipeline");
  process.exitCode = await runCli(process.argv.slice(2), defaultEnvironment());
}

if (require.main === module) void main();
