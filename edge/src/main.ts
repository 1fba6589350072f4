import { Command } from "commander";
import { addFieldOptions, parseFieldFlags } from "../../lib/fields";
import { EdgeApp, EXIT_BAD_CONFIG, EXIT_FAILED } from "./app";
import { EdgeConfigError, EdgeConfigField, edgeConfigFields, envNameOf, parseEdgeConfig } from "./config";
import { consoleLog } from "./log";
import { requireDeclaredRuntime } from "../../lib/runtime";
import { checkGoldenOutputs } from "./goldenCheck";
import { ModelError } from "./model";

/** The command line: one flag per config field (each also settable as QI_EDGE_<FIELD>), plus --check. */
export function buildCli(): { program: Command; attributes: Record<EdgeConfigField, string> } {
  const program = new Command("edge")
    .description("Inspect images with an ONNX detector and publish the results over MQTT, without losing any.")
    .option("--check", "validate the configuration and load the model, then exit")
    .helpOption("-h, --help", "show this help")
    .showHelpAfterError("(--help lists every option)");
  const attributes = addFieldOptions(program, edgeConfigFields, (name) => {
    const f = edgeConfigFields[name];
    const fallback = "fallback" in f && typeof f.fallback === "string" ? `default ${f.fallback}, ` : "";
    return `${f.description} [${fallback}${envNameOf(name)}]`;
  });
  return { program, attributes };
}

export async function main(argv: string[]): Promise<number> {
  const { program, attributes } = buildCli();
  // Commander prints the help or the problem (unknown option, missing value) itself.
  const parsed = parseFieldFlags(program, argv, attributes, EXIT_BAD_CONFIG);
  if ("exitCode" in parsed) return parsed.exitCode;
  const { flags, options } = parsed;

  let app: EdgeApp;
  try {
    app = await EdgeApp.create(parseEdgeConfig(flags, process.env), consoleLog);
  } catch (error) {
    if (error instanceof EdgeConfigError || error instanceof ModelError) {
      consoleLog.error(error.message);
      return EXIT_BAD_CONFIG;
    }
    throw error;
  }
  if (options.check) {
    const problem = app.sourceProblem();
    if (problem) {
      consoleLog.error(problem);
      await app.close();
      return EXIT_BAD_CONFIG;
    }
    const summary = app.summary();
    const golden = await checkGoldenOutputs(app.detector, app.config.model).finally(() => app.close());
    for (const problem of golden.problems) consoleLog.error(problem);
    if (golden.problems.length > 0) return EXIT_FAILED;
    const diff = golden.checked > 0 ? ` (largest difference ${golden.maxAbsDiff.toPrecision(2)})` : "";
    consoleLog.info(`ok: ${summary} · golden images: ${golden.checked} match${diff}`);
    return 0;
  }

  // The first SIGTERM/SIGINT stops gracefully (Greengrass sends SIGTERM on stop); a second one does not wait.
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) process.exit(EXIT_FAILED);
    consoleLog.info(`${signal}: finishing the image in flight and delivering what can be delivered`);
    app.stop();
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  return app.run();
}

if (require.main === module) {
  requireDeclaredRuntime("edge");
  main(process.argv).then(
    (code) => {
      process.exitCode = code;
      // Native handles (MQTT, onnxruntime) must not keep a finished process alive.
      setTimeout(() => process.exit(code), 500).unref();
    },
    (error: unknown) => {
      consoleLog.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
      process.exit(EXIT_FAILED);
    },
  );
}
