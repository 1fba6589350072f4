import { ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import path from "node:path";
import readline from "node:readline";

const MAIN = path.resolve(__dirname, "..", "..", "edge", "src", "main.ts");

/**
 * The real edge CLI in a child process (TypeScript through tsx), its output collected line by line, so a test can
 * wait for progress, signal it, and read its exit code.
 */
export class EdgeProcess {
  readonly stdout: string[] = [];
  readonly stderr: string[] = [];
  private readonly child: ChildProcess;
  private readonly exited: Promise<number | null>;
  private readonly waiters = new Set<() => void>();

  constructor(args: string[], env: NodeJS.ProcessEnv = {}) {
    this.child = spawn(process.execPath, ["--require", "tsx/cjs", MAIN, ...args], {
      cwd: path.resolve(__dirname, "..", ".."),
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    for (const [stream, lines] of [
      [this.child.stdout!, this.stdout],
      [this.child.stderr!, this.stderr],
    ] as const) {
      readline.createInterface({ input: stream }).on("line", (line) => {
        lines.push(line);
        for (const wake of this.waiters) wake();
      });
    }
    this.exited = once(this.child, "exit").then(([code]) => code as number | null);
  }

  /** Result summary lines ("<image> <w>x<h>: ..."), each printed once the result is safe in the outbox. */
  summaries(prefix: string): string[] {
    return this.stdout.filter((l) => l.startsWith(prefix)).map((l) => l.split(" ")[0]);
  }

  async waitForLines(done: () => boolean, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      if (Date.now() > deadline || this.child.exitCode !== null) {
        throw new Error(`the edge process did not get there:\n${this.output()}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 100);
        const wake = () => {
          clearTimeout(timer);
          this.waiters.delete(wake);
          resolve();
        };
        this.waiters.add(wake);
      });
    }
  }

  kill(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** The exit code (null after a signal it did not handle). */
  exit(): Promise<number | null> {
    return this.exited;
  }

  output(): string {
    return [...this.stdout, ...this.stderr.map((l) => `stderr: ${l}`)].join("\n");
  }
}
