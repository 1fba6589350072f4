import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { componentArtifactKey, componentNames } from "../../contracts/modelComponent";
import { inferenceComponentRecipe } from "../../edge/recipe";
import { modelComponentRecipe } from "../../lambdas/createModelComponent/recipe";
import { EmbeddedBroker } from "../../offline/broker";
import { FileObjectStore } from "../../offline/fileObjectStore";
import { LocalComponentRegistry, LocalGreengrass } from "../../offline/localGreengrass";
import { syntheticImage, syntheticImageName } from "../../offline/synthetic";
import { manifestFor } from "../harness/modelFolders";
import { tempDir } from "../harness/modelFolders";
import { eventually } from "../harness/wait";

const NAMES = componentNames("qi-dev");
const EDGE_MAIN = path.resolve(__dirname, "..", "..", "edge", "src", "main.ts");

describe("offline: the local Greengrass device", function () {
  const dir = tempDir("greengrass");
  const objects = new FileObjectStore(path.join(dir, "bucket"), "qi-dev-data-lake-local");
  const registry = new LocalComponentRegistry(path.join(dir, "components"), "eu-west-1", "000000000000");
  let broker: EmbeddedBroker;
  let greengrass: LocalGreengrass;
  const detectorLines: string[] = [];

  before(async () => {
    const camera = path.join(dir, "camera");
    mkdirSync(camera);
    for (let i = 0; i < 2; i++)
      writeFileSync(path.join(camera, syntheticImageName(i)), (await syntheticImage(4, i)).jpeg);
    broker = await EmbeddedBroker.start();
    greengrass = new LocalGreengrass({
      registry,
      objects,
      rootDir: path.join(dir, "device"),
      thingName: "qi-dev-local-device",
      broker,
      topic: "qualityinspection/scratch-detection",
      configuration: { transport: "mqtt", broker: broker.url, imagesDir: camera, intervalSeconds: 0 },
      environment: { QI_EDGE_MQTT_VERSION: "3.1.1" },
      detectorEntry: EDGE_MAIN,
      region: "eu-west-1",
      account: "000000000000",
      onDetectorLine: (line) => detectorLines.push(line),
    });
    const inference = inferenceComponentRecipe({
      componentName: NAMES.inference,
      componentVersion: "1.0.7",
      artifactUri: `s3://${objects.bucket}/components/${NAMES.inference}/1.0.7/scratch-detector-linux-x64.zip`,
      modelComponentName: NAMES.model,
      imagesDir: "/var/lib/qualityinspection/images",
    });
    expect(await registry.create(JSON.stringify(inference))).to.include({ state: "DEPLOYABLE" });
  });
  after(async () => {
    await greengrass.close();
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A model component version whose artifacts are the given files (written to the data lake unless undefined). */
  async function modelComponent(version: string, files: Record<string, string | Buffer | undefined>): Promise<void> {
    const uris: string[] = [];
    for (const [file, content] of Object.entries(files)) {
      const key = componentArtifactKey(NAMES.model, version, file);
      if (content !== undefined) await objects.write(key, content, "application/octet-stream");
      uris.push(`s3://${objects.bucket}/${key}`);
    }
    const recipe = modelComponentRecipe({
      componentName: NAMES.model,
      componentVersion: version,
      artifactUris: uris,
      modelPackageArn: "arn:aws:sagemaker:eu-west-1:000000000000:model-package/qi-dev-scratch-detector/1",
      modelVersion: `model-${version}`,
    });
    await registry.create(JSON.stringify(recipe));
  }

  const deploy = (modelVersion: string) =>
    greengrass.createDeployment({
      TargetArn: "arn:aws:iot:eu-west-1:000000000000:thinggroup/qi-dev-fleet",
      Components: {
        [NAMES.model]: { ComponentVersion: modelVersion },
        [NAMES.inference]: { ComponentVersion: "1.0.7" },
      },
      DeploymentPolicies: { FailureHandlingPolicy: "ROLLBACK" },
      ClientToken: `token-${modelVersion}`,
    });

  const devices = (jobId: string) => greengrass.describeJob({ JobId: jobId }).Job.JobProcessDetails;

  it("keeps a version once: creating it again reports that it exists, and a bad recipe is refused", async () => {
    const recipe = await registry.recipe(NAMES.inference, "1.0.7");
    expect(await registry.create(JSON.stringify(recipe))).to.equal(undefined);
    await registry.create(JSON.stringify({ ComponentName: "x" })).then(
      () => expect.fail("accepted a recipe without a version"),
      (error: Error) => expect(error.message).to.contain("invalid recipe"),
    );
  });

  it("fails a deployment whose model artifact cannot be downloaded, and the IoT job counts the device failed", async () => {
    await modelComponent("1.0.1", { "model.onnx": undefined, "model.json": "{}" });
    const created = await deploy("1.0.1");
    expect(devices(created.IotJobId)).to.include({ NumberOfInProgressThings: 1, NumberOfSucceededThings: 0 });
    await eventually(() => greengrass.deployments.at(-1)?.status === "FAILED", "the deployment to fail", 10_000);
    expect(devices(created.IotJobId)).to.include({ NumberOfFailedThings: 1, NumberOfInProgressThings: 0 });
    expect(greengrass.deployments.at(-1)?.reason).to.contain("cannot download the artifact");
    // The same client token is the same deployment.
    expect((await deploy("1.0.1")).DeploymentId).to.equal(created.DeploymentId);
  });

  it("fails a deployment when the detector exits before its first result", async () => {
    const manifest = manifestFor({
      layout: "torchvision",
      input: { name: "images", width: 64, height: 64, padValue: 114 },
    });
    await modelComponent("1.0.2", { "model.onnx": "not an onnx model", "model.json": JSON.stringify(manifest) });
    const created = await deploy("1.0.2");
    await eventually(() => greengrass.deployments.at(-1)?.status !== "IN_PROGRESS", "the deployment to end", 60_000);
    const deployment = greengrass.deployments.at(-1)!;
    expect(deployment.status, detectorLines.join("\n")).to.equal("FAILED");
    expect(deployment.reason).to.match(/the detector exited with code 2 before its first result/);
    expect(devices(created.IotJobId)).to.include({ NumberOfFailedThings: 1 });
    // The artifacts went where Greengrass puts them, and the recipe's Setenv pointed the detector there.
    expect(deployment.modelDir).to.equal(path.join(dir, "device", "packages", "artifacts", NAMES.model, "1.0.2"));
  });
  it("rolls back to the last good deployment when a new one fails", async () => {
    const demo = path.resolve(__dirname, "..", "..", "models", "demo");
    const received: string[] = [];
    const stop = broker.onMessage((m) => received.push(JSON.parse(m.payload.toString("utf8")).modelVersion));
    try {
      await modelComponent("1.0.3", {
        "model.onnx": readFileSync(path.join(demo, "model.onnx")),
        "model.json": readFileSync(path.join(demo, "model.json"), "utf8"),
      });
      await deploy("1.0.3");
      const good = greengrass.deployments.at(-1)!;
      await eventually(() => good.status !== "IN_PROGRESS", "the good deployment to end", 60_000);
      expect(good.status, detectorLines.join("\n")).to.equal("SUCCEEDED");

      // The new detector replaces the good one, then exits on its broken model.
      const manifest = manifestFor({
        layout: "torchvision",
        input: { name: "images", width: 64, height: 64, padValue: 114 },
      });
      await modelComponent("1.0.4", { "model.onnx": "not an onnx model", "model.json": JSON.stringify(manifest) });
      const starts = detectorLines.filter((l) => l.startsWith("connected to")).length;
      await deploy("1.0.4");
      await eventually(
        () => greengrass.deployments.at(-1)!.status === "FAILED",
        "the broken deployment to fail",
        60_000,
      );
      // The device starts the good model's detector again, which keeps sending its results.
      expect(greengrass.current).to.equal(good);
      await eventually(
        () => detectorLines.filter((l) => l.startsWith("connected to")).length > starts,
        "the good detector to connect again",
        60_000,
      );
      const before = received.length;
      await eventually(() => received.length > before + 2, "more results from the good model", 60_000);
      expect(received.slice(before).every((version) => version === good.modelVersion)).to.equal(true);
    } finally {
      stop();
    }
  });
});
