import { rm } from "node:fs/promises";
import * as path from "node:path";
import { readStackConfig } from "../../config/stackFiles";
import { componentNames } from "../../contracts/modelComponent";
import { runtimeDescription } from "../../lib/runtime";
import { displayPath } from "../report";
import type { OfflineEnvironment, OfflineOptions } from "../run";
import { offlineConfig } from "../settings";
import type { RunContext } from "./context";

/** Reads the stack's config with this run's changes, says what the run uses, and empties the state with `--clean`. */
export async function prepare(options: OfflineOptions, environment: OfflineEnvironment): Promise<RunContext> {
  const started = Date.now();
  const { print } = environment;
  const workDir = options.workDir ?? path.join(options.projectDir, ".local", options.stack);
  const { config, changes } = offlineConfig(
    readStackConfig(options.projectDir, options.stack),
    options.stack,
    options.config,
  );
  print(
    `npm start: the ${config.namePrefix} pipeline on this machine — stack ${options.stack}, no AWS account, ${runtimeDescription()}`,
  );
  print(`config: Pulumi.${options.stack}.yaml${changes.length ? ", changed for this run:" : ""}`);
  for (const c of changes) print(`  ${c.key} ${c.from ?? "(unset)"} → ${c.to} (${c.why})`);
  if (options.clean) await rm(workDir, { recursive: true, force: true });
  print(`state: ${displayPath(workDir)}${options.clean ? " (cleaned)" : " (--clean starts over)"}`);
  return {
    options,
    environment,
    print,
    started,
    workDir,
    config,
    changes,
    names: componentNames(config.namePrefix),
  };
}
