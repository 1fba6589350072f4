import { Command, CommanderError, Option } from "commander";
import { z } from "zod";
import { existingPath } from "./fieldValues";

/**
 * Tables of fields: each setting of a program with the schema that validates it and the sentence that tells what it
 * must be, so every problem names the setting and the expected form. The edge detector's and the viewer's fields are
 * command-line options too: one commander option per field, whose values come back keyed by field name, to be
 * validated by the same schemas the programmatic entry points use.
 */
export interface Field<T extends z.ZodType = z.ZodType> {
  schema: T;
  /** Completes the sentence "<name> must ...". */
  must: string;
}

export const field = <T extends z.ZodType>(must: string, schema: T): Field<T> => ({ schema, must });

/** "<name> must <must> (got <value>)". */
export function fieldProblem(name: string, f: Field, got: unknown): string {
  return `${name} must ${f.must} (got ${JSON.stringify(got)})`;
}

/** The problems of a table of fields, all at once: "Invalid <what>:" and one line a problem. */
export class FieldProblems extends Error {
  constructor(
    what: string,
    readonly problems: string[],
  ) {
    super(`Invalid ${what}:\n  - ${problems.join("\n  - ")}`);
  }
}

/** The field's schema with every problem told as "<name> must <must>", for callers that report zod's messages. */
export function schemaNamed<T extends z.ZodType>(name: string, f: Field<T>) {
  return z.unknown().transform((value, ctx): z.output<T> => {
    const parsed = f.schema.safeParse(value);
    if (parsed.success) return parsed.data;
    ctx.addIssue({ code: "custom", message: `${name} must ${f.must}` });
    return z.NEVER;
  });
}

/** A field that is a command-line option too. `Computed`: what a table accepts as a default besides a value. */
export interface FlagField<T extends z.ZodType = z.ZodType, Computed = never> extends Field<T> {
  /** Commander flag, e.g. `--port <n>`. */
  flag: string;
  description: string;
  /** Used when the field is not set, and parsed like a value that is. */
  fallback?: z.input<T> | Computed;
}

/** The field constructor of a table whose defaults may also be `Computed` (e.g. read from the environment). */
export const flagFieldWith =
  <Computed = never>() =>
  <T extends z.ZodType>(f: FlagField<T, Computed>): FlagField<T, Computed> =>
    f;

/** A flag field whose default, if any, is a value. */
export const flagField = flagFieldWith();

/** `--interval <seconds>` → `--interval`. */
export const flagName = (f: FlagField<z.ZodType, unknown>): string => f.flag.split(" ")[0];

/** Adds one option per field (help text from `help`); returns the commander attribute of each field. */
export function addFieldOptions<K extends string>(
  program: Command,
  fields: Record<K, FlagField<z.ZodType, unknown>>,
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

/** A PEM file, e.g. `--ca <file>`. */
export const pemFile = (flag: string, description: string) =>
  flagField({ flag, description, must: "be an existing PEM file", schema: existingPath("file") });

/** The client certificate and key of a mutual-TLS MQTT connection (the edge detector's and the viewer's). */
export const clientCertificateFields = {
  cert: pemFile("--cert <file>", "mqtts: client certificate (PEM)"),
  key: pemFile("--key <file>", "mqtts: private key (PEM)"),
};
