import * as path from "node:path";
import { checkTorch, findPython, TORCH_INSTALL_HINT } from "../../training/python";
import { startViewer, Viewer } from "../../viewer";
import { EmbeddedBroker } from "../broker";
import { EdgeResults } from "../edgeResults";
import { LocalGreengrass } from "../localGreengrass";
import { LOCAL_ACCOUNT } from "../localStack";
import { LocalTraining, TrainingMode } from "../localTraining";
import { detectorLinePrinter, displayPath, Print, trainingLinePrinter } from "../report";
import type { OfflineEnvironment, OfflineOptions } from "../run";
import type { LocalServices, SeededRun } from "./context";

/** The committed demo model: what the training job ships when it cannot or should not train. */
export const DEMO_MODEL_DIR = path.resolve(__dirname, "..", "..", "models", "demo");
const EDGE_MAIN = path.resolve(__dirname, "..", "..", "edge", "src", "main.ts");

async function chooseTrainingMode(options: OfflineOptions, environment: OfflineEnvironment): Promise<TrainingMode> {
  if (options.skipTraining) return { kind: "demo-model", modelDir: DEMO_MODEL_DIR, reason: "--skip-training" };
  const python = environment.python ?? findPython();
  const torch = checkTorch(python);
  if (!torch.ok) {
    return { kind: "demo-model", modelDir: DEMO_MODEL_DIR, reason: `${torch.detail}; to train, ${TORCH_INSTALL_HINT}` };
  }
  return { kind: "python", python };
}

/**
 * What serves the state machine besides the Lambda handlers, started before it runs: the training job, the embedded
 * MQTT broker, the local Greengrass device that runs the real detector, and the live viewer.
 */
export async function startServices(run: SeededRun): Promise<LocalServices> {
  const { options, environment, print, config, workDir, stack, cameraDir } = run;
  const { namePrefix, region } = config;
  const trainingMode = await chooseTrainingMode(options, environment);
  print(
    trainingMode.kind === "python"
      ? `training: ${trainingMode.python} runs training/train.py on the CPU`
      : `training: none — ${trainingMode.reason}; the training job ships the committed demo model (models/demo)`,
  );
  const broker = await EmbeddedBroker.start();
  const edgeResults = new EdgeResults(broker, config.edge.topic);
  const thingName = `${namePrefix}-local-device`;
  const training = new LocalTraining({
    objects: stack.objects,
    jobsDir: path.join(workDir, "sagemaker", "training"),
    mode: trainingMode,
    region,
    account: LOCAL_ACCOUNT,
    onLine: trainingLinePrinter(print),
  });
  const greengrass = new LocalGreengrass({
    registry: stack.components,
    objects: stack.objects,
    rootDir: path.join(workDir, "greengrass", "device"),
    thingName,
    broker,
    topic: config.edge.topic,
    // A deployment's configuration update: the detector talks to the embedded broker and reads the local camera.
    configuration: {
      transport: "mqtt",
      broker: broker.url,
      imagesDir: cameraDir,
      intervalSeconds: options.edgeInterval,
      // Images the detector is unsure about go back into the local data lake, where the next run labels them.
      upload: stack.objects.root,
    },
    // The embedded broker speaks MQTT 3.1.1 only.
    environment: { QI_EDGE_MQTT_VERSION: "3.1.1" },
    detectorEntry: EDGE_MAIN,
    region,
    account: LOCAL_ACCOUNT,
    onDetectorLine: detectorLinePrinter(print),
  });
  print(`broker: ${broker.url} (embedded aedes, MQTT 3.1.1); device ${thingName}, camera ${displayPath(cameraDir)}`);
  const viewer = await startLocalViewer(options.viewerPort, broker.url, cameraDir, config.edge.topic, print);
  const close = async () => {
    training.stopAll();
    await greengrass.close();
    await viewer?.close();
    edgeResults.close();
    await broker.stop();
  };
  return { trainingMode, training, broker, edgeResults, thingName, greengrass, viewer, close };
}

/** The live viewer on the embedded broker; a run goes on without it when it cannot start (e.g. its port is taken). */
async function startLocalViewer(
  port: number | null,
  broker: string,
  imagesDir: string,
  topic: string,
  print: Print,
): Promise<Viewer | undefined> {
  if (port === null) return undefined;
  try {
    const viewer = await startViewer({ broker, imagesDir, port, topic });
    print(`viewer: ${viewer.url} shows the detector's results as they arrive`);
    return viewer;
  } catch (error) {
    print(`viewer: not started (${(error as Error).message}); the run goes on without it`);
    return undefined;
  }
}
