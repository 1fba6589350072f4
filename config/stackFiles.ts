import { readFileSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { PROJECT } from "./schema";

export interface ConfigDeclaration {
  type: "string" | "boolean" | "integer" | "array";
  description?: string;
  default?: unknown;
}

/** Pulumi hands the program strings; structured values arrive as JSON. */
function asConfigString(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** The `config:` declarations of `Pulumi.yaml`, keyed by their fully qualified name. */
export function readConfigDeclarations(projectDir: string): Record<string, ConfigDeclaration> {
  const project = parse(readFileSync(path.join(projectDir, "Pulumi.yaml"), "utf8")) as {
    config?: Record<string, ConfigDeclaration>;
  };
  return Object.fromEntries(
    Object.entries(project.config ?? {}).map(([key, declaration]) => [
      key.includes(":") ? key : `${PROJECT}:${key}`,
      declaration,
    ]),
  );
}

/**
 * The config a stack's program would see, without the Pulumi CLI: declared defaults from `Pulumi.yaml`, overridden by
 * `Pulumi.<stack>.yaml`. Used by the tests and the offline run so that both read the real stack files.
 */
export function readStackConfig(projectDir: string, stack: string): Record<string, string> {
  const file = path.join(projectDir, `Pulumi.${stack}.yaml`);
  const stackFile = parse(readFileSync(file, "utf8")) as { config?: Record<string, unknown> } | null;
  const raw: Record<string, string> = {};
  for (const [key, declaration] of Object.entries(readConfigDeclarations(projectDir))) {
    if (declaration.default !== undefined) raw[key] = asConfigString(declaration.default);
  }
  for (const [key, value] of Object.entries(stackFile?.config ?? {})) {
    raw[key.includes(":") ? key : `${PROJECT}:${key}`] = asConfigString(value);
  }
  return raw;
}
