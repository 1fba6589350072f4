import { Command } from "commander";
import { addFieldOptions, parseFieldFlags } from "../lib/fields";
import { startParsedViewer, Viewer } from "./index";
import { requireDeclaredRuntime } from "../lib/runtime";
import { parseViewerOptions, ViewerField, viewerFields, ViewerOptionsError } from "./src/options";

/** Bad flags; the same code as the edge detector's. */
export const EXIT_BAD_OPTIONS = 2;
/** The viewer could not start (e.g. its port is taken). */
export const EXIT_FAILED = 1;

export function buildCli(): { program: Command; attributes: Record<ViewerField, string> } {
  const program = new Command("viewer")
    .description("Show the edge detector's results live in a browser: images, boxes, pass/fail, totals, errors.")
    .helpOption("-h, --help", "show this help")
    .showHelpAfterError("(--help lists every option)");
  const attributes = addFieldOptions(program, viewerFields, (name) => {
    const f = viewerFields[name];
    return `${f.description}${"fallback" in f ? ` [default ${f.fallback}]` : ""}`;
  });
  return { program, attributes };
}

/** Runs the viewer until SIGINT or SIGTERM; resolves with the exit code. */
export async function main(argv: string[], started?: (viewer: Viewer) => void): Promise<number> {
  const { program, attributes } = buildCli();
  // Commander prints the help or the problem (unknown option, missing value) itself.
  const parsed = parseFieldFlags(program, argv, attributes, EXIT_BAD_OPTIONS);
  if ("exitCode" in parsed) return parsed.exitCode;
  const flags = parsed.flags as Record<ViewerField, string | undefined>;
  let viewer: Viewer;
  try {
    viewer = await startParsedViewer(parseViewerOptions(flags, "flag"), (line) => process.stdout.write(`${line}\n`));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return error instanceof ViewerOptionsError ? EXIT_BAD_OPTIONS : EXIT_FAILED;
  }
  process.stdout.write(`open ${viewer.url}\n`);
  started?.(viewer);
  await new Promise<void>((resolve) => {
    process.once("SIGINT", () => resolve());
    process.once("SIGTERM", () => resolve());
  });
  await viewer.close();
  return 0;
}

if (require.main === module) {
  requireDeclaredRuntime("viewer");
  main(process.argv).then(
    (code) => {
      process.exitCode = code;
      // aws-crt's native handles must not keep a finished process alive.
      setTimeout(() => process.exit(code), 500).unref();
    },
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(EXIT_FAILED);
    },
  );
}
