import { ConfigError, parseStackConfig, PROJECT, shortKey, StackConfig } from "../config/schema";

/**
 * What the offline run changes in a stack's config, and why. Every change is printed; `--config key=value` sets any
 * key (the stack file's value otherwise), and wins over the offline defaults below.
 */
export interface ConfigChange {
  /** Short key, e.g. `training.epochs`. */
  key: string;
  from: string | undefined;
  to: string;
  why: string;
}

/** Epochs CPU training gets unless `--config training.epochs=N` says otherwise: minutes, not the stack's hours. */
export const OFFLINE_MAX_EPOCHS = 20;

const qualified = (key: string) => (key.includes(":") ? key : `${PROJECT}:${key}`);

/** `--config key=value` → a raw config entry; the key may be short (`training.epochs`) or qualified. */
export function parseConfigAssignment(text: string): [string, string] {
  const match = /^([A-Za-z0-9_.:-]+)=(.*)$/s.exec(text);
  if (!match)
    throw new ConfigError([
      `--config must look like <key>=<value>, e.g. training.epochs=5 (got ${JSON.stringify(text)})`,
    ]);
  return [qualified(match[1]), match[2]];
}

/**
 * The config the offline run uses: the stack's raw config, then the offline defaults (fewer epochs, the onnx compile
 * branch instead of a Neo target), then the user's `--config` assignments; validated by the one schema, so a bad value
 * is refused with the key and the form it wants.
 */
export function offlineConfig(
  raw: Record<string, string>,
  stack: string,
  assignments: Record<string, string>,
  labelByHand = false,
): { config: StackConfig; changes: ConfigChange[] } {
  const changes: ConfigChange[] = [];
  const merged = { ...raw };
  const change = (key: string, to: string, why: string) => {
    if (merged[key] === to) return;
    changes.push({ key: shortKey(key), from: merged[key], to, why });
    merged[key] = to;
  };
  const epochsKey = qualified("training.epochs");
  const epochs = Number(raw[epochsKey]);
  if (!(epochsKey in assignments) && Number.isInteger(epochs) && epochs > OFFLINE_MAX_EPOCHS) {
    change(
      epochsKey,
      String(OFFLINE_MAX_EPOCHS),
      `CPU training on this machine; --config training.epochs=${epochs} trains the stack's`,
    );
  }
  const targetKey = qualified("compilation.target");
  if (!(targetKey in assignments) && raw[targetKey] !== undefined && raw[targetKey] !== "onnx") {
    change(targetKey, "onnx", "SageMaker Neo compiles only in AWS; the onnx branch runs the real compile Lambda");
  }
  if (labelByHand) {
    const why = "--label-by-hand: the labeling app labels, and a person uses it";
    change(qualified("labeling.provider"), "builtin", why);
    for (const key of ["labeling.createPrivateWorkforce", "labeling.allowPublicWorkforce", "labeling.verification"]) {
      if (raw[qualified(key)] !== undefined) change(qualified(key), "false", why);
    }
    if (raw[qualified("labeling.workteamArn")]) change(qualified("labeling.workteamArn"), "", why);
  }
  for (const [key, value] of Object.entries(assignments)) change(key, value, "--config");
  return { config: parseStackConfig(merged, stack), changes };
}
