import type { Command } from "commander";
import type { SFNClient } from "@aws-sdk/client-sfn";
import type { CliEnvironment } from "./environment";
import { EXIT } from "./errors";
import { check, flag } from "./flags";

/** What a command's action resolves to: the exit code of the run, or nothing for 0. */
export type Action<A extends unknown[]> = (...args: A) => Promise<number | void>;

/**
 * What every command of one run shares: the environment, the global flags (--json, --region), where to print, the
 * Step Functions client, and the exit code its action chose. Commands register themselves with it
 * (`register(program, context)`); `runCli` makes one per run.
 */
export class CommandContext {
  private flags: { json: boolean; region?: string } = { json: false };
  private client?: SFNClient;
  private code: number = EXIT.ok;

  constructor(readonly env: CliEnvironment) {}

  /** --json: print one machine-readable document and nothing else on stdout. */
  get json(): boolean {
    return this.flags.json;
  }

  /** --region, checked; undefined leaves it to the AWS SDK's region chain. */
  get region(): string | undefined {
    return this.flags.region;
  }

  get exitCode(): number {
    return this.code;
  }

  /** One line on stdout. */
  readonly print = (text: string): void => {
    this.env.stdout.write(`${text}\n`);
  };

  /** The Step Functions client for --region, made on first use. */
  sfn(): SFNClient {
    return (this.client ??= this.env.createClient(this.region));
  }

  /** Reads and checks the global flags; the program calls it before any command's action runs. */
  readGlobals(program: Command): void {
    const globals = program.opts<{ region?: string; json?: boolean }>();
    this.flags = {
      json: Boolean(globals.json),
      region: globals.region === undefined ? undefined : check(flag.region, globals.region),
    };
  }

  /** A command's action for commander: what it resolves to becomes the run's exit code. */
  action<A extends unknown[]>(run: Action<A>): (...args: A) => Promise<void> {
    return async (...args) => {
      const code = await run(...args);
      if (code !== undefined) this.code = code;
    };
  }
}
