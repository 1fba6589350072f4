import { setTimeout as wait } from "node:timers/promises";
import { z } from "zod";
import { componentArtifactKey, MODEL_FILES } from "../../contracts/modelComponent";
import { ComponentFailedError, ComponentNotReadyError } from "../../lib/errors";
import { parseEvent } from "../shared/events";
import type { ComponentRegistry, ComponentVersionStatus, Log, ObjectStore } from "../../lib/ports";
import { keyInBucket, s3Uri } from "../../lib/s3Uri";
import { readAll } from "../../lib/streams";
import { modelComponentRecipe } from "./recipe";

export const createModelComponentEventSchema = z.object({
  componentName: z.string().min(1),
  componentVersion: z.string().regex(/^\d+\.\d+\.\d+$/),
  modelPackageArn: z.string().min(1),
  modelVersion: z.string().min(1),
  /** The model to ship (optimised, or the original one next to a Neo artifact) and its model.json. */
  modelKey: z.string().min(1),
  manifestKey: z.string().min(1),
  /** Further files to ship, e.g. the Neo-compiled archive for the target device. */
  extraArtifactUris: z.array(z.string().startsWith("s3://")),
  /** The inference component deployed with the model: `pulumi up` stored its recipe beside its artifact. */
  inference: z.object({
    componentName: z.string().min(1),
    componentVersion: z.string().regex(/^\d+\.\d+\.\d+$/),
    recipeKey: z.string().min(1),
  }),
  /** The stack's common tags, for the component versions this creates. */
  tags: z.record(z.string().min(1), z.string()),
});
export type CreateModelComponentEvent = z.input<typeof createModelComponentEventSchema>;

export interface CreateModelComponentResult {
  componentName: string;
  componentVersion: string;
  componentArn: string;
  artifactKeys: string[];
  inferenceComponentArn: string;
}

export interface CreateModelComponentDeps {
  objects: ObjectStore;
  components: ComponentRegistry;
  log: Log;
  sleep?: (ms: number) => Promise<void>;
}

const READY_CHECKS = 5;
const READY_CHECK_INTERVAL_MS = 2000;

/**
 * Copies the model files to the component's artifact keys and creates the model component version, then makes sure
 * the inference component version the deployment names exists (created from its stored recipe the first time a run
 * deploys it). Running it again is harmless (the copies are the same, existing versions are kept), so the state
 * machine retries it while Greengrass is still validating a version.
 */
export async function createModelComponent(
  event: unknown,
  deps: CreateModelComponentDeps,
): Promise<CreateModelComponentResult> {
  const { objects, components, log } = deps;
  const input = parseEvent(createModelComponentEventSchema, event);
  const { componentName, componentVersion, inference, tags } = input;

  const sources: [file: string, key: string][] = [
    [MODEL_FILES[0], input.modelKey],
    [MODEL_FILES[1], input.manifestKey],
    ...input.extraArtifactUris.map((uri): [string, string] => {
      const key = keyInBucket(uri, objects.bucket);
      return [key.split("/").at(-1)!, key];
    }),
  ];
  const artifactKeys: string[] = [];
  for (const [file, key] of sources) {
    const target = componentArtifactKey(componentName, componentVersion, file);
    await objects.copy(key, target);
    artifactKeys.push(target);
  }

  const recipe = modelComponentRecipe({
    componentName,
    componentVersion,
    artifactUris: artifactKeys.map((key) => s3Uri(objects.bucket, key)),
    modelPackageArn: input.modelPackageArn,
    modelVersion: input.modelVersion,
  });
  const created = await components.create(JSON.stringify(recipe), tags);
  if (!created) log.info("component version exists already", { componentName, componentVersion });
  const model = await untilDeployable(deps, componentName, componentVersion, created);
  log.info("model component version ready", { componentName, componentVersion, arn: model.arn });

  let existing = await components.describe(inference.componentName, inference.componentVersion);
  if (!existing) {
    const inferenceRecipe = (await readAll(await objects.read(inference.recipeKey))).toString("utf8");
    existing = await components.create(inferenceRecipe, tags);
    log.info("created the inference component version", inference);
  }
  const detector = await untilDeployable(deps, inference.componentName, inference.componentVersion, existing);

  return {
    componentName,
    componentVersion,
    componentArn: model.arn,
    artifactKeys,
    inferenceComponentArn: detector.arn,
  };
}

/** Waits (briefly) for Greengrass to accept a version; it fails the run on a refusal, and asks for a retry if slow. */
async function untilDeployable(
  deps: CreateModelComponentDeps,
  componentName: string,
  componentVersion: string,
  first: ComponentVersionStatus | undefined,
): Promise<ComponentVersionStatus> {
  const sleep = deps.sleep ?? wait;
  let status = first;
  for (let check = 0; status?.state !== "DEPLOYABLE"; check++) {
    if (status?.state === "FAILED" || status?.state === "DEPRECATED") {
      throw new ComponentFailedError(
        `Greengrass refused ${componentName} ${componentVersion} (${status.state}): ${status.message ?? "no reason given"}`,
      );
    }
    if (check === READY_CHECKS) {
      throw new ComponentNotReadyError(`${componentName} ${componentVersion} is ${status?.state ?? "not visible yet"}`);
    }
    if (status) await sleep(READY_CHECK_INTERVAL_MS);
    status = await deps.components.describe(componentName, componentVersion);
  }
  return status;
}
