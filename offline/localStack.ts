import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { trainingCodeArchive } from "../cloud/trainingCode";
import type { StackConfig } from "../config/schema";
import {
  componentArtifactKey,
  componentNames,
  INFERENCE_RECIPE_FILE,
  inferenceComponentVersion,
} from "../contracts/modelComponent";
import { inferenceComponentRecipe } from "../edge/recipe";
import type { DefinitionResources } from "../stateMachines/definitionArgs";
import { localLabelStoreFile } from "../lib/labels/duckDbLabels";
import { localLakeRoot } from "../lib/results/duckDbResults";
import { functionName, PIPELINE_FUNCTIONS, PipelineFunction } from "../stateMachines/functions";
import { TRAINING_DIR } from "../training/python";
import { FileLabelStore } from "./fileLabelStore";
import { FileObjectStore } from "./fileObjectStore";
import { LocalComponentRegistry } from "./localGreengrass";
import { LocalModelRegistry } from "./localModelRegistry";

/** The account id in every local ARN: no AWS account is involved. */
export const LOCAL_ACCOUNT = "000000000000";

/** SHA-256 over the edge detector's sources: a changed detector is a new inference component version. */
function edgeSourceHash(): string {
  const root = path.resolve(__dirname, "..", "edge", "src");
  const hash = createHash("sha256");
  const files = readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name))
    .sort();
  for (const file of files) hash.update(path.relative(root, file)).update(readFileSync(file));
  return hash.digest("hex");
}

/** The names and ARNs `pulumi up` would give the stack's resources, in its region and the local account. */
export function localResources(
  config: StackConfig,
  bucketName: string,
  codeKey: string,
  inferenceVersion: string,
): DefinitionResources {
  const { namePrefix, region } = config;
  const arn = (service: string, resource: string) => `arn:aws:${service}:${region}:${LOCAL_ACCOUNT}:${resource}`;
  const { workforce } = config.labeling;
  return {
    bucketName,
    functions: Object.fromEntries(
      (Object.keys(PIPELINE_FUNCTIONS) as PipelineFunction[]).map((fn) => [
        fn,
        arn("lambda", `function:${functionName(namePrefix, fn)}`),
      ]),
    ) as Record<PipelineFunction, string>,
    alertsTopicArn: arn("sns", `${namePrefix}-pipeline-alerts`),
    sagemakerRole: `arn:aws:iam::${LOCAL_ACCOUNT}:role/${namePrefix}-sagemaker-execution`,
    labelingRole: `arn:aws:iam::${LOCAL_ACCOUNT}:role/${namePrefix}-labeling`,
    workteam:
      workforce.kind === "existing"
        ? workforce.workteamArn
        : workforce.kind === "public"
          ? "public"
          : workforce.kind === "none"
            ? ""
            : arn("sagemaker", `workteam/private-crowd/${namePrefix}-labelers`),
    modelPackageGroupName: config.registry.modelPackageGroupName,
    thingGroupArn: arn("iot", `thinggroup/${config.edge.thingGroupName}`),
    codeKey,
    inferenceVersion,
    inferenceRecipeKey: componentArtifactKey(
      componentNames(namePrefix).inference,
      inferenceVersion,
      INFERENCE_RECIPE_FILE,
    ),
  };
}

/** The stores of one local stack, under its state folder. */
export interface LocalStack {
  objects: FileObjectStore;
  labels: FileLabelStore;
  components: LocalComponentRegistry;
  registry: LocalModelRegistry;
  resources: DefinitionResources;
}

/**
 * What `pulumi up` leaves in a stack, locally: the data lake (a folder) holding the training code bundle under
 * `code/` and the inference component's recipe beside its (here absent) package, as the EdgeFleet component stores
 * it; the label store, the component registry and the model registry.
 */
export async function provisionLocalStack(config: StackConfig, stateDir: string): Promise<LocalStack> {
  const { namePrefix, region } = config;
  const objects = new FileObjectStore(localLakeRoot(stateDir), `${namePrefix}-data-lake-local`);
  const code = trainingCodeArchive(TRAINING_DIR);
  await objects.write(code.key, code.tarball, "application/gzip");
  const names = componentNames(namePrefix);
  const version = inferenceComponentVersion(edgeSourceHash());
  const resources = localResources(config, objects.bucket, code.key, version);
  const artifact = componentArtifactKey(
    names.inference,
    version,
    `scratch-detector-linux-${config.edge.architecture}.zip`,
  );
  const recipe = inferenceComponentRecipe({
    componentName: names.inference,
    componentVersion: version,
    artifactUri: `s3://${objects.bucket}/${artifact}`,
    modelComponentName: names.model,
    architecture: config.edge.architecture,
    topic: config.edge.topic,
    intervalSeconds: config.edge.intervalSeconds,
    imagesDir: config.edge.imagesDir,
    transport: "greengrass-ipc",
    uncertaintyMaxScore: config.edge.uncertainty.maxScore,
    uncertaintyBand: config.edge.uncertainty.band,
    uncertaintyMaxPerHour: config.edge.uncertainty.maxPerHour,
    uncertaintyRandomRate: config.edge.uncertainty.randomRate,
  });
  await objects.write(resources.inferenceRecipeKey, JSON.stringify(recipe, null, 2), "application/json");
  return {
    objects,
    labels: new FileLabelStore(localLabelStoreFile(stateDir, namePrefix)),
    components: new LocalComponentRegistry(path.join(stateDir, "greengrass", "components"), region, LOCAL_ACCOUNT),
    registry: new LocalModelRegistry(path.join(stateDir, "model-registry.json"), region, LOCAL_ACCOUNT),
    resources,
  };
}
