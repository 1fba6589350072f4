import { z } from "zod";
import { labelStoreCatalogNames } from "../../contracts/labelStoreTable";
import { readEnv } from "../env";

/**
 * How BuildDataset's Lambda learns where to query the label store's history: the stack sets these variables when
 * `dataset.athenaAboveImages` is on, and the Lambda builds its Athena engine from them (none set: no engine).
 */
const VARIABLES = { workgroup: "LABELS_WORKGROUP", database: "LABELS_DATABASE", table: "LABELS_TABLE" } as const;

export interface LabelStoreQueryTarget {
  workgroup: string;
  database: string;
  table: string;
}

export function labelStoreQueryEnvironment(namePrefix: string): Record<string, string> {
  const names = labelStoreCatalogNames(namePrefix);
  return Object.fromEntries(
    Object.entries(VARIABLES).map(([key, variable]) => [variable, names[key as keyof typeof VARIABLES]]),
  );
}

/** The target the variables name; undefined when none is set, an error naming the others when only some are. */
export function labelStoreQueryFromEnv(): LabelStoreQueryTarget | undefined {
  if (!Object.values(VARIABLES).some((variable) => process.env[variable])) return undefined;
  const name = z.string().min(1);
  const env = readEnv({ LABELS_WORKGROUP: name, LABELS_DATABASE: name, LABELS_TABLE: name });
  return { workgroup: env.LABELS_WORKGROUP, database: env.LABELS_DATABASE, table: env.LABELS_TABLE };
}
