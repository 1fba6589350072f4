import { ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import path from "node:path";
import readline from "node:readline";
import { expect } from "chai";
import { flagNameOf, ViewerField, viewerFields } from "../../viewer/src/options";
import { AedesBroker } from "../processes/aedesBroker";
import { eventually } from "../harness/wait";

const ROOT = path.resolve(__dirname, "..", "..");

/** `npm run viewer -- <args>` without npm: the CLI through tsx in a child process, its output line by line. */
function viewerProcess(args: string[]): {
  child: ChildProcess;
  stdout: string[];
  stderr: string[];
  exit: Promise<number | null>;
} {
  const child = spawn(process.execPath, ["--require", "tsx/cjs", path.join(ROOT, "viewer", "main.ts"), ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  readline.createInterface({ input: child.stdout! }).on("line", (line) => stdout.push(line));
  readline.createInterface({ input: child.stderr! }).on("line", (line) => stderr.push(line));
  return { child, stdout, stderr, exit: once(child, "exit").then(([code]) => code as number | null) };
}

describe("npm run viewer (the command line)", () => {
  let broker: AedesBroker;
  before(async () => (broker = await AedesBroker.start()));
  after(async () => broker?.stop());

  it("prints the page's address, serves it, and stops cleanly on SIGINT", async () => {
    const viewer = viewerProcess(["--broker", broker.url, "--port", "0", "--pass-threshold", "0.6"]);
    try {
      const line = await eventually(
        () => viewer.stdout.find((l) => l.startsWith("open http://")),
        `the address line (stdout: ${viewer.stdout.join(" | ")}; stderr: ${viewer.stderr.join(" | ")})`,
        30_000,
      );
      const page = await fetch(line.slice("open ".length));
      expect(page.status).to.equal(200);
      expect(await page.text()).to.contain("Quality inspection — live");
      await eventually(() => viewer.stdout.includes("broker connected"), "the broker connection", 30_000);
      viewer.child.kill("SIGINT");
      expect(await viewer.exit).to.equal(0);
    } finally {
      viewer.child.kill("SIGKILL");
    }
  });

  it("exits with 2 and names every bad flag and the form it expects", async () => {
    const viewer = viewerProcess(["--broker", "http://example.com", "--port", "eighty", "--topic", "a/#"]);
    expect(await viewer.exit).to.equal(2);
    const output = viewer.stderr.join("\n");
    expect(output).to.contain("--broker must be a URL like mqtt://127.0.0.1:1883");
    expect(output).to.contain('--port must be a whole number from 0 to 65535 (got "eighty")');
    expect(output).to.contain("--topic must be an MQTT topic without wildcards");
  });

  it("viewer/README.md documents every flag", () => {
    const readme = readFileSync(path.join(ROOT, "viewer", "README.md"), "utf8");
    for (const name of Object.keys(viewerFields) as ViewerField[]) {
      expect(readme, flagNameOf(name)).to.contain(`\`${flagNameOf(name)}`);
    }
  });
});
