import { expect } from "chai";
import {
  CreateComponentVersionCommand,
  DescribeComponentCommand,
  GreengrassV2Client,
} from "@aws-sdk/client-greengrassv2";
import { componentNames, modelComponentVersion } from "../../contracts/modelComponent";
import { createModelComponent, CreateModelComponentEvent } from "../../lambdas/createModelComponent/handler";
import { modelComponentRecipe } from "../../lambdas/createModelComponent/recipe";
import { greengrassComponentRegistry } from "../../lib/aws/greengrassComponentRegistry";
import { MemoryComponentRegistry, MemoryObjectStore, noSleep, recordingLog } from "../fakes/memoryPorts";
import { mockClient } from "aws-sdk-client-mock";
import { mockedClient } from "../fakes/sdkMock";
import { failureOf } from "../harness/failure";

const name = componentNames("qi-dev").model;
const inferenceName = componentNames("qi-dev").inference;
const INFERENCE_RECIPE_KEY = `components/${inferenceName}/1.0.99/recipe.json`;
const inferenceRecipe = JSON.stringify({ ComponentName: inferenceName, ComponentVersion: "1.0.99" });
const version = modelComponentVersion(7);
const TAGS = { project: "qualityinspection", stack: "dev" };
const event = (overrides: Partial<CreateModelComponentEvent> = {}): CreateModelComponentEvent => ({
  componentName: name,
  componentVersion: version,
  modelPackageArn: "arn:aws:sagemaker:eu-west-1:123456789012:model-package/qi-dev-scratch-detector/7",
  modelVersion: "qi-dev-train-run-1-3fa2b1c9",
  modelKey: "compiled/qi-dev-train-run-1-3fa2b1c9/model.onnx",
  manifestKey: "compiled/qi-dev-train-run-1-3fa2b1c9/model.json",
  extraArtifactUris: [],
  inference: { componentName: inferenceName, componentVersion: "1.0.99", recipeKey: INFERENCE_RECIPE_KEY },
  tags: TAGS,
  ...overrides,
});
const lake = () =>
  new MemoryObjectStore()
    .put("compiled/qi-dev-train-run-1-3fa2b1c9/model.onnx", "optimised")
    .put("compiled/qi-dev-train-run-1-3fa2b1c9/model.json", "{}")
    .put("compiled/qi-dev-train-run-1-3fa2b1c9/neo/model-jetson_xavier.tar.gz", "neo")
    .put(INFERENCE_RECIPE_KEY, inferenceRecipe);

describe("the model component recipe", () => {
  it("carries the artifacts, readable by every user, and no lifecycle", () => {
    const recipe = modelComponentRecipe({
      componentName: name,
      componentVersion: version,
      artifactUris: ["s3://b/components/x/1.0.7/model.onnx", "s3://b/components/x/1.0.7/model.json"],
      modelPackageArn: "arn:pkg/7",
      modelVersion: "job-1",
    });
    expect(recipe).to.deep.include({
      RecipeFormatVersion: "2020-01-25",
      ComponentName: name,
      ComponentVersion: "1.0.7",
    });
    expect(recipe.Manifests).to.have.length(1);
    expect(recipe.Manifests[0].Artifacts.map((a) => a.Uri)).to.deep.equal([
      "s3://b/components/x/1.0.7/model.onnx",
      "s3://b/components/x/1.0.7/model.json",
    ]);
    expect(recipe.Manifests[0].Artifacts[0]).to.deep.include({
      Unarchive: "NONE",
      Permission: { Read: "ALL", Execute: "NONE" },
    });
    expect(recipe.Manifests[0]).to.not.have.property("Lifecycle");
    expect(recipe.ComponentConfiguration.DefaultConfiguration).to.deep.equal({
      modelPackageArn: "arn:pkg/7",
      modelVersion: "job-1",
    });
  });

  it("refuses a version Greengrass would not accept", () => {
    expect(() =>
      modelComponentRecipe({
        componentName: name,
        componentVersion: "7",
        artifactUris: ["s3://b/k"],
        modelPackageArn: "a",
        modelVersion: "v",
      }),
    ).to.throw(/\[componentVersion\]/);
  });
});

describe("CreateModelComponent", () => {
  it("copies the model files to the component's artifact keys and creates the version", async () => {
    const objects = lake();
    const components = new MemoryComponentRegistry();
    components.states = ["INITIATED", "DEPLOYABLE"];
    const result = await createModelComponent(event(), { objects, components, log: recordingLog(), sleep: noSleep });
    expect(result).to.deep.equal({
      componentName: name,
      componentVersion: "1.0.7",
      componentArn: `arn:aws:greengrass:eu-west-1:123456789012:components:${name}:versions:1.0.7`,
      artifactKeys: [`components/${name}/1.0.7/model.onnx`, `components/${name}/1.0.7/model.json`],
      inferenceComponentArn: `arn:aws:greengrass:eu-west-1:123456789012:components:${inferenceName}:versions:1.0.99`,
    });
    expect(objects.text(`components/${name}/1.0.7/model.onnx`)).to.equal("optimised");
    expect(components.tags.get(`${name}:1.0.7`), "the stack's tags").to.deep.equal(TAGS);
    expect(components.tags.get(`${inferenceName}:1.0.99`), "the stack's tags").to.deep.equal(TAGS);
    const recipe = components.recipes.get(`${name}:1.0.7`) as ReturnType<typeof modelComponentRecipe>;
    expect(recipe.Manifests[0].Artifacts.map((a) => a.Uri)).to.deep.equal([
      `s3://qi-test-lake/components/${name}/1.0.7/model.onnx`,
      `s3://qi-test-lake/components/${name}/1.0.7/model.json`,
    ]);
  });

  it("ships the Neo-compiled archive next to the model files", async () => {
    const objects = lake();
    const result = await createModelComponent(
      event({
        extraArtifactUris: ["s3://qi-test-lake/compiled/qi-dev-train-run-1-3fa2b1c9/neo/model-jetson_xavier.tar.gz"],
      }),
      { objects, components: new MemoryComponentRegistry(), log: recordingLog(), sleep: noSleep },
    );
    expect(result.artifactKeys).to.include(`components/${name}/1.0.7/model-jetson_xavier.tar.gz`);
    expect(objects.text(`components/${name}/1.0.7/model-jetson_xavier.tar.gz`)).to.equal("neo");
  });

  it("keeps an existing version on a retry", async () => {
    const components = new MemoryComponentRegistry();
    const deps = { objects: lake(), components, log: recordingLog(), sleep: noSleep };
    await createModelComponent(event(), deps);
    const again = await createModelComponent(event(), deps);
    expect(again.componentVersion).to.equal("1.0.7");
    expect([...components.recipes.keys()]).to.deep.equal([`${name}:1.0.7`, `${inferenceName}:1.0.99`]);
  });

  it("creates the inference component version from the recipe pulumi up stored, the first time it is deployed", async () => {
    const components = new MemoryComponentRegistry();
    const log = recordingLog();
    await createModelComponent(event(), { objects: lake(), components, log, sleep: noSleep });
    expect(components.recipes.get(`${inferenceName}:1.0.99`)).to.deep.equal(JSON.parse(inferenceRecipe));
    expect(log.entries.map((e) => e.message)).to.include("created the inference component version");
  });

  it("leaves an existing inference component version alone", async () => {
    const components = new MemoryComponentRegistry();
    components.recipes.set(`${inferenceName}:1.0.99`, { kept: true });
    const objects = lake();
    objects.objects.delete(INFERENCE_RECIPE_KEY);
    await createModelComponent(event(), { objects, components, log: recordingLog(), sleep: noSleep });
    expect(components.recipes.get(`${inferenceName}:1.0.99`)).to.deep.equal({ kept: true });
  });

  it("fails with ObjectNotFoundError when the inference component's recipe was never uploaded", async () => {
    const objects = lake();
    objects.objects.delete(INFERENCE_RECIPE_KEY);
    const error = await failureOf(
      createModelComponent(event(), {
        objects,
        components: new MemoryComponentRegistry(),
        log: recordingLog(),
        sleep: noSleep,
      }),
    );
    expect(error.name).to.equal("ObjectNotFoundError");
    expect(error.message).to.contain(INFERENCE_RECIPE_KEY);
  });

  it("asks the state machine to retry while Greengrass is still validating", async () => {
    const components = new MemoryComponentRegistry();
    components.states = Array(10).fill("INITIATED");
    const error = await failureOf(
      createModelComponent(event(), { objects: lake(), components, log: recordingLog(), sleep: noSleep }),
    );
    expect(error.name).to.equal("ComponentNotReadyError");
  });

  it("fails with Greengrass's reason when the version is refused", async () => {
    const components = new MemoryComponentRegistry();
    components.states = ["FAILED"];
    components.message = "Failed to access artifact s3://...: Access Denied";
    const error = await failureOf(
      createModelComponent(event(), { objects: lake(), components, log: recordingLog(), sleep: noSleep }),
    );
    expect(error.name).to.equal("ComponentFailedError");
    expect(error.message).to.contain("Access Denied");
  });

  it("fails with ObjectNotFoundError when the model to ship is missing", async () => {
    const error = await failureOf(
      createModelComponent(event({ modelKey: "compiled/none/model.onnx" }), {
        objects: lake(),
        components: new MemoryComponentRegistry(),
        log: recordingLog(),
      }),
    );
    expect(error.name).to.equal("ObjectNotFoundError");
  });

  describe("against the Greengrass API (SDK mocked)", () => {
    const greengrass = mockedClient(() => mockClient(GreengrassV2Client));
    const prefix = "arn:aws:greengrass:eu-west-1:123456789012:components:";

    it("sends the recipe inline and reads the version's state", async () => {
      greengrass()
        .on(CreateComponentVersionCommand)
        .resolves({ arn: `${prefix}${name}:versions:1.0.7`, status: { componentState: "REQUESTED" } });
      greengrass()
        .on(DescribeComponentCommand)
        .resolves({ status: { componentState: "DEPLOYABLE" } });
      const components = greengrassComponentRegistry(new GreengrassV2Client({}), prefix);
      await createModelComponent(event(), { objects: lake(), components, log: recordingLog(), sleep: noSleep });
      const sent = greengrass().commandCalls(CreateComponentVersionCommand)[0].args[0].input;
      expect(JSON.parse(Buffer.from(sent.inlineRecipe!).toString("utf8")).ComponentVersion).to.equal("1.0.7");
      expect(sent.tags).to.deep.equal(TAGS);
      expect(greengrass().commandCalls(DescribeComponentCommand)[0].args[0].input.arn).to.equal(
        `${prefix}${name}:versions:1.0.7`,
      );
    });

    it("treats ConflictException as an existing version", async () => {
      greengrass()
        .on(CreateComponentVersionCommand)
        .rejects(Object.assign(new Error("exists"), { name: "ConflictException" }));
      greengrass()
        .on(DescribeComponentCommand)
        .resolves({ status: { componentState: "DEPLOYABLE" } });
      const components = greengrassComponentRegistry(new GreengrassV2Client({}), prefix);
      const result = await createModelComponent(event(), {
        objects: lake(),
        components,
        log: recordingLog(),
        sleep: noSleep,
      });
      expect(result.componentArn).to.equal(`${prefix}${name}:versions:1.0.7`);
    });
  });
});
