import { mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { componentNames } from "../../contracts/modelComponent";
import { deviceNodeCheckScript } from "../../contracts/runtime";
import { parseEdgeConfig } from "../../edge/src/config";
import {
  CONFIGURABLE_FIELDS,
  inferenceComponentRecipe,
  InferenceRecipeArgs,
  MQTT_PROXY,
  PUBLISH_TO_IOT_CORE,
  RecipeArgsError,
  TOKEN_EXCHANGE_SERVICE,
} from "../../edge/recipe";
import { interpolateLifecycle } from "../harness/greengrass";
import { tempDir } from "../harness/modelFolders";

const names = componentNames("qi-dev");
const args: InferenceRecipeArgs = {
  componentName: names.inference,
  componentVersion: "1.0.3",
  artifactUri: "s3://qi-dev-data-lake/components/qi-dev.ScratchDetector/1.0.3/4f2a9c.zip",
  modelComponentName: names.model,
  imagesDir: "/var/lib/qualityinspection/images",
};
const greengrassEnv = {
  AWS_GG_NUCLEUS_DOMAIN_SOCKET_FILEPATH_FOR_COMPONENT: "/greengrass/v2/ipc.socket",
  SVCUID: "token",
};

describe("edge Greengrass recipe", () => {
  const recipe = inferenceComponentRecipe(args);
  const [manifest] = recipe.Manifests;

  it("names the component, its version, and depends on the model component", () => {
    expect(recipe).to.include({
      RecipeFormatVersion: "2020-01-25",
      ComponentName: "qi-dev.ScratchDetector",
      ComponentVersion: "1.0.3",
    });
    expect(recipe.ComponentDescription).to.have.length.greaterThan(20);
    expect(recipe.ComponentDependencies).to.deep.equal({
      "qi-dev.ScratchDetectorModel": { VersionRequirement: ">=1.0.0", DependencyType: "HARD" },
    });
  });

  it("grants PublishToIoTCore on exactly the result and error topics", () => {
    const custom = inferenceComponentRecipe({ ...args, topic: "plant-7/line-2/scratches" });
    const policies = custom.ComponentConfiguration.DefaultConfiguration.accessControl[MQTT_PROXY];
    expect(Object.keys(policies)).to.deep.equal(["qi-dev.ScratchDetector:mqttproxy:1"]);
    const [policy] = Object.values(policies);
    expect(policy.operations).to.deep.equal([PUBLISH_TO_IOT_CORE]);
    expect(policy.resources).to.deep.equal(["plant-7/line-2/scratches", "plant-7/line-2/scratches/errors"]);
    expect(custom.ComponentConfiguration.DefaultConfiguration.topic).to.equal("plant-7/line-2/scratches");
  });

  it("puts topic, interval, thresholds and transport in the default configuration", () => {
    const configured = inferenceComponentRecipe({
      ...args,
      intervalSeconds: 2,
      scoreThreshold: 0.6,
      transport: "mqtt",
    });
    expect(configured.ComponentConfiguration.DefaultConfiguration).to.include({
      topic: "qualityinspection/scratch-detection",
      intervalSeconds: 2,
      scoreThreshold: 0.6,
      iouThreshold: "",
      transport: "mqtt",
      imagesDir: "/var/lib/qualityinspection/images",
    });
    // Without thresholds, the model's own (model.json) apply.
    expect(recipe.ComponentConfiguration.DefaultConfiguration).to.include({
      scoreThreshold: "",
      transport: "greengrass-ipc",
    });
  });

  it("hands every configuration key to the process as QI_EDGE_<FIELD>, and the model component's path as the model", () => {
    const { accessControl: _, ...configuration } = recipe.ComponentConfiguration.DefaultConfiguration;
    expect(Object.keys(configuration).sort()).to.deep.equal([...CONFIGURABLE_FIELDS].sort());
    expect(manifest.Lifecycle.Setenv).to.include({
      QI_EDGE_MODEL: "{qi-dev.ScratchDetectorModel:artifacts:path}",
      QI_EDGE_OUTBOX_DIR: "{work:path}/outbox",
      QI_EDGE_THING_NAME: "{iot:thingName}",
      QI_EDGE_TOPIC: "{configuration:/topic}",
      QI_EDGE_INTERVAL_SECONDS: "{configuration:/intervalSeconds}",
      QI_EDGE_OUTBOX_MAX_BYTES: "{configuration:/outboxMaxBytes}",
    });
  });

  it("runs the packaged JavaScript with the device's node and downloads nothing", () => {
    expect(manifest.Platform).to.deep.equal({ os: "linux", architecture: "amd64" });
    expect(manifest.Artifacts).to.deep.equal([
      { URI: args.artifactUri, Unarchive: "ZIP", Permission: { Read: "OWNER", Execute: "NONE" } },
    ]);
    expect(manifest.Lifecycle.Run.Script).to.equal("exec node {artifacts:decompressedPath}/4f2a9c/main.js");
    expect(manifest.Lifecycle.Install.Script).to.equal(
      `${deviceNodeCheckScript()}; node {artifacts:decompressedPath}/4f2a9c/main.js --check`,
    );
    for (const script of [manifest.Lifecycle.Run.Script, manifest.Lifecycle.Install.Script]) {
      expect(script).to.not.match(/\b(npm|npx|pip|curl|wget|apt|yarn)\b|https?:/);
    }
    expect(inferenceComponentRecipe({ ...args, architecture: "arm64" }).Manifests[0].Platform.architecture).to.equal(
      "aarch64",
    );
  });

  it("interpolated as Greengrass would, configures the detector as the recipe says", () => {
    const dir = tempDir("recipe");
    try {
      const images = path.join(dir, "images");
      mkdirSync(images);
      const deployed = inferenceComponentRecipe({ ...args, imagesDir: images, intervalSeconds: 3, iouThreshold: 0.5 });
      const { env } = interpolateLifecycle(deployed, {
        decompressedPath: "/greengrass/v2/packages/artifacts-unarchived/qi-dev.ScratchDetector/1.0.3",
        modelArtifactsPath: "/greengrass/v2/packages/artifacts/qi-dev.ScratchDetectorModel/1.0.7",
        workPath: "/greengrass/v2/work/qi-dev.ScratchDetector",
        thingName: "line-1-camera",
        configuration: { topic: "plant-7/scratches" },
      });
      const config = parseEdgeConfig({}, { ...greengrassEnv, ...env });
      expect(config).to.include({
        model: "/greengrass/v2/packages/artifacts/qi-dev.ScratchDetectorModel/1.0.7",
        imagesDir: images,
        intervalSeconds: 3,
        iouThreshold: 0.5,
        topic: "plant-7/scratches",
        transport: "greengrass-ipc",
        thingName: "line-1-camera",
        outboxDir: "/greengrass/v2/work/qi-dev.ScratchDetector/outbox",
      });
      expect(config.scoreThreshold, "empty configuration value: model.json decides").to.equal(undefined);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe("sending uncertain images back", () => {
    const uploading = inferenceComponentRecipe({
      ...args,
      uploadBucket: "qi-dev-data-lake-0a1b2c3d",
      uploadRegion: "eu-west-1",
      uncertaintyMaxScore: 0.6,
      uncertaintyBand: [0.25, 0.6],
      uncertaintyMaxPerHour: 10,
      uncertaintyRandomRate: 0.02,
    });

    it("depends on the token exchange service only when it uploads, which is what gives it AWS credentials", () => {
      expect(uploading.ComponentDependencies[TOKEN_EXCHANGE_SERVICE]).to.deep.equal({
        VersionRequirement: ">=2.0.0 <3.0.0",
        DependencyType: "HARD",
      });
      expect(recipe.ComponentDependencies).to.not.have.property(TOKEN_EXCHANGE_SERVICE);
      expect(recipe.ComponentConfiguration.DefaultConfiguration).to.include({ upload: "", uncertaintyBand: "0.3-0.7" });
    });

    it("puts the bucket, its region and the sampling rule in the default configuration", () => {
      expect(uploading.ComponentConfiguration.DefaultConfiguration).to.include({
        upload: "s3://qi-dev-data-lake-0a1b2c3d",
        uploadRegion: "eu-west-1",
        uploadMaxBytes: 256 * 1024 * 1024,
        uncertaintyMaxScore: 0.6,
        uncertaintyBand: "0.25-0.6",
        uncertaintyMaxPerHour: 10,
        uncertaintyRandomRate: 0.02,
      });
      expect(
        inferenceComponentRecipe({ ...args, uncertaintyBand: null }).ComponentConfiguration.DefaultConfiguration
          .uncertaintyBand,
      ).to.equal("off");
    });

    it("interpolated as Greengrass would, configures the detector's uploads, with the queue in the work folder", () => {
      const dir = tempDir("recipe-upload");
      try {
        const images = path.join(dir, "images");
        mkdirSync(images);
        const { env } = interpolateLifecycle(
          inferenceComponentRecipe({ ...args, imagesDir: images, uploadBucket: "lake", uploadRegion: "eu-central-1" }),
          {
            decompressedPath: "/greengrass/v2/packages/artifacts-unarchived/qi-dev.ScratchDetector/1.0.3",
            modelArtifactsPath: "/greengrass/v2/packages/artifacts/qi-dev.ScratchDetectorModel/1.0.7",
            workPath: "/greengrass/v2/work/qi-dev.ScratchDetector",
            thingName: "line-1-camera",
            configuration: { uncertaintyMaxPerHour: 5, uncertaintyBand: "off" },
          },
        );
        const config = parseEdgeConfig({}, { ...greengrassEnv, ...env });
        expect(config.upload).to.deep.equal({ kind: "s3", bucket: "lake" });
        expect(config).to.deep.include({
          uploadRegion: "eu-central-1",
          uploadOutboxDir: "/greengrass/v2/work/qi-dev.ScratchDetector/upload-outbox",
          uncertaintyMaxScore: 0.7,
          uncertaintyBand: null,
          uncertaintyMaxPerHour: 5,
          uncertaintyRandomRate: 0,
        });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  it("is plain JSON", () => {
    expect(JSON.parse(JSON.stringify(recipe))).to.deep.equal(recipe);
  });

  const bad: [Partial<InferenceRecipeArgs>, RegExp][] = [
    [{ artifactUri: "https://example.com/a.zip" }, /\[artifactUri\] must be an s3:\/\/ URI of a .zip/],
    [{ componentVersion: "1.0" }, /\[componentVersion\] must be a version like 1.0.0/],
    [{ topic: "plant/#" }, /\[topic\] must be an MQTT topic without wildcards/],
    [{ scoreThreshold: 1.2 }, /\[scoreThreshold\]/],
    [{ imagesDir: "images" }, /\[imagesDir\] must be an absolute path on the device/],
    [{ uploadBucket: "Data_Lake", uploadRegion: "eu-west-1" }, /\[uploadBucket\] must be an S3 bucket name/],
    [{ uploadBucket: "lake" }, /\[uploadRegion\] is required with uploadBucket/],
    [{ uncertaintyBand: [0.7, 0.3] }, /\[uncertaintyBand\] must be \[low, high\] with low <= high/],
    [{ uncertaintyRandomRate: 2 }, /\[uncertaintyRandomRate\]/],
  ];
  for (const [override, message] of bad) {
    it(`rejects ${JSON.stringify(override)}, naming the argument`, () => {
      expect(() => inferenceComponentRecipe({ ...args, ...override })).to.throw(RecipeArgsError, message);
    });
  }
});
