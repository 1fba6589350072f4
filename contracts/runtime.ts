/**
 * The one Node.js this project runs on: tests, `npm start`, the CLI and the viewer (the version `package.json`
 * brings along as a platform package), the Lambdas (their managed runtime), the Greengrass component (the recipe's
 * Install step refuses an older device Node) and the simulated device (which installs exactly this version).
 * `test/contracts/runtime.test.ts` holds every one of those places to it.
 */
export const NODE_MAJOR = 22;

/** The exact release the simulated device installs and `package.json`'s platform packages pin. */
export const NODE_VERSION = "22.23.3";

/** Lambda's managed runtime of that major. */
export const LAMBDA_RUNTIME = `nodejs${NODE_MAJOR}.x`;

/** esbuild's target for code that runs on it (Lambda bundles, the edge package). */
export const ESBUILD_NODE_TARGET = `node${NODE_MAJOR}`;

/** The major version of a `node --version` string (`v22.23.3` → 22), or undefined when it is not one. */
export function nodeMajorOf(version: string): number | undefined {
  const match = /^v?(\d+)\.\d+\.\d+/.exec(version.trim());
  return match ? Number(match[1]) : undefined;
}

/**
 * The shell the Greengrass Install step runs before anything else: it fails, naming the version it needs, when the
 * device's `node` is missing or older than {@link NODE_MAJOR}. Greengrass then marks the deployment failed. No curly
 * braces: Greengrass reads `{...}` in a lifecycle script as a recipe variable.
 */
export function deviceNodeCheckScript(): string {
  const major = `"$(expr "$v" : 'v\\([0-9]*\\)')"`;
  const refuse = `echo "this component needs Node.js ${NODE_MAJOR} or newer as node on the PATH; the device has $v" >&2`;
  return `v=$(node --version 2>/dev/null) || v=none; if [ ${major} -ge ${NODE_MAJOR} ] 2>/dev/null; then :; else ${refuse}; exit 1; fi`;
}
