import { statSync } from "node:fs";
import { Command, CommanderError, Option } from "commander";
import { z } from "zod";

/**
 * Command lines built from a table of fields (the edge detector's and the viewer's): one commander option per field,
 * whose values come back keyed by field name, to be validated by the same schemas the programmatic entry points use.
 */
export interface FlagField {
  /** Commander flag, e.g. `--port <n>`. */
  flag: string;
  description: string;
}

/** Adds one option per field (help text from `help`); returns the commander attribute of each field. */
export function addFieldOptions<K extends string>(
  program: Command,
  fields: Record<K, FlagField>,
  help: (name: K) => string,
): Record<K, string> {
  const attributes = {} as Record<K, string>;
  for (const name of Object.keys(fields) as K[]) {
    const option = new Option(fields[name].flag, help(name));
    attributes[name] = option.attributeName();
    program.addOption(option);
  }
  return attributes;
}

/**
 * Parses the command line. Either the flags by field name (with commander's other options), or the exit code when
 * commander has already printed help (0) or a problem such as an unknown option (`usageExitCode`).
 */
export function parseFieldFlags<K extends string>(
  program: Command,
  argv: string[],
  attributes: Record<K, string>,
  usageExitCode: number,
): { exitCode: number } | { flags: Partial<Record<K, string | boolean>>; options: Record<string, unknown> } {
  program.exitOverride();
  try {
    program.parse(argv);
  } catch (error) {
    return { exitCode: error instanceof CommanderError && error.exitCode === 0 ? 0 : usageExitCode };
  }
  const options = program.opts();
  const flags = Object.fromEntries(
    (Object.keys(attributes) as K[]).map((name) => [name, options[attributes[name]]]),
  ) as Partial<Record<K, string | boolean>>;
  return { flags, options };
}

/** A path to an existing file or folder. */
export const existingPath = (kind: "file" | "directory") =>
  z.string().refine((p) => {
    const stat = statSync(p, { throwIfNoEntry: false });
    return kind === "file" ? stat?.isFile() : stat?.isDirectory();
  });

const pemFile = (flag: string, description: string) => ({
  flag,
  description,
  must: "be an existing PEM file",
  schema: existingPath("file"),
});

/** The client certificate and key of a mutual-TLS MQTT connection (the edge detector's and the viewer's). */
export const clientCertificateFields = {
  cert: pemFile("--cert <file>", "mqtts: client certificate (PEM)"),
  key: pemFile("--key <file>", "mqtts: private key (PEM)"),
};
