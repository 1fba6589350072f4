import * as pulumi from "@pulumi/pulumi";
import { parseStackConfig, StackConfig } from "./schema";

export { ConfigError, parseStackConfig, PROJECT } from "./schema";
export type { StackConfig } from "./schema";

/** Reads the current stack's config (the CLI has already merged the defaults from `Pulumi.yaml`) and validates it. */
export function loadStackConfig(): StackConfig {
  return parseStackConfig(pulumi.runtime.allConfig(), pulumi.getStack());
}
