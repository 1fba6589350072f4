import { ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { copyFile, mkdir, readFile, writeFile } from "node:fs/promises";
import * as path from "node:path";
import { createInterface } from "node:readline";
import { z } from "zod";
import { inferenceResultProblems } from "../contracts/inferenceMessages";
import { MODEL_MANIFEST_FILE, modelManifestSchema } from "../contracts/modelManifest";
import type { ComponentRegistry, ComponentVersionStatus } from "../lib/ports";
import { parseS3Uri } from "../lib/s3Uri";
import type { EmbeddedBroker } from "./broker";
import type { FileObjectStore } from "./fileObjectStore";
import { parseRequest, ServiceError } from "./serviceError";

const semver = z.string().regex(/^\d+\.\d+\.\d+$/);

/** The parts of a recipe the local nucleus reads. */
const recipeSchema = z.looseObject({
  RecipeFormatVersion: z.literal("2020-01-25"),
  ComponentName: z.string().regex(/^[A-Za-z0-9._-]{1,128}$/),
  ComponentVersion: semver,
  ComponentConfiguration: z.looseObject({ DefaultConfiguration: z.record(z.string(), z.unknown()) }).optional(),
  Manifests: z
    .array(
      z.looseObject({
        Lifecycle: z.looseObject({ Setenv: z.record(z.string(), z.string()).optional() }).optional(),
        Artifacts: z.array(z.looseObject({ Uri: z.string().optional(), URI: z.string().optional() })).optional(),
      }),
    )
    .min(1),
});
export type LocalRecipe = z.infer<typeof recipeSchema>;

/**
 * Greengrass component versions as files: `<dir>/<component>/<version>.json`. A recipe is validated when it is
 * created, as CreateComponentVersion does, so a version that exists is deployable.
 */
export class LocalComponentRegistry implements ComponentRegistry {
  constructor(
    readonly dir: string,
    private readonly region: string,
    private readonly account: string,
  ) {}

  private fileOf(name: string, version: string): string {
    return path.join(this.dir, name, `${version}.json`);
  }

  private arnOf(name: string, version: string): string {
    return `arn:aws:greengrass:${this.region}:${this.account}:components:${name}:versions:${version}`;
  }

  async create(recipe: string): Promise<ComponentVersionStatus | undefined> {
    let json: unknown;
    try {
      json = JSON.parse(recipe);
    } catch {
      throw new ServiceError("ValidationException", "the recipe is not JSON");
    }
    const { ComponentName: name, ComponentVersion: version } = parseRequest(
      recipeSchema,
      json,
      "ValidationException",
      "invalid recipe",
    );
    if (await this.recipe(name, version)) return undefined;
    await mkdir(path.dirname(this.fileOf(name, version)), { recursive: true });
    await writeFile(this.fileOf(name, version), `${JSON.stringify(json, null, 2)}\n`);
    return { arn: this.arnOf(name, version), state: "DEPLOYABLE" };
  }

  async describe(name: string, version: string): Promise<ComponentVersionStatus | undefined> {
    return (await this.recipe(name, version)) ? { arn: this.arnOf(name, version), state: "DEPLOYABLE" } : undefined;
  }

  async recipe(name: string, version: string): Promise<LocalRecipe | undefined> {
    try {
      return recipeSchema.parse(JSON.parse(await readFile(this.fileOf(name, version), "utf8")));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
  }
}

const createDeploymentSchema = z.looseObject({
  TargetArn: z.string().regex(/^arn:aws[a-z-]*:iot:[a-z0-9-]+:\d{12}:thinggroup\/.+/),
  DeploymentName: z.string().min(1).optional(),
  Components: z.record(z.string(), z.looseObject({ ComponentVersion: semver })),
  DeploymentPolicies: z
    .looseObject({ FailureHandlingPolicy: z.enum(["ROLLBACK", "DO_NOTHING"]).optional() })
    .optional(),
  ClientToken: z.string().min(1).max(64).optional(),
});

export type DeploymentStatus = "IN_PROGRESS" | "SUCCEEDED" | "FAILED";

export interface LocalDeployment {
  deploymentId: string;
  iotJobId: string;
  components: Record<string, string>;
  /** `version` of the deployed model.json: what the detector's results name as `modelVersion`. */
  modelVersion: string;
  modelDir: string;
  status: DeploymentStatus;
  /** ROLLBACK: when it fails, the device goes back to its last good deployment. */
  rollback: boolean;
  clientToken?: string;
  startedAt: number;
  /** When the device published its first valid result with the new model. */
  firstResultAt?: number;
  reason?: string;
}

export interface LocalGreengrassOptions {
  registry: LocalComponentRegistry;
  objects: FileObjectStore;
  /** The device's Greengrass root: `packages/artifacts/…` and `work/…` as on a device. */
  rootDir: string;
  thingName: string;
  broker: EmbeddedBroker;
  /** The result topic the detector publishes to. */
  topic: string;
  /** Merged over each component's DefaultConfiguration, as a deployment's configuration update would be. */
  configuration: Record<string, string | number>;
  /** Environment of the device's component processes (besides what the recipe sets). */
  environment: Record<string, string>;
  /** The program that stands in for the inference component's packaged `main.js`. */
  detectorEntry: string;
  region: string;
  account: string;
  /** Each line the detector prints. */
  onDetectorLine?: (line: string) => void;
}

/** Greengrass placeholders a recipe's Setenv may use: `{configuration:/key}`, `{<component>:artifacts:path}`, … */
const PLACEHOLDER = /\{([^{}]+)\}/g;

/**
 * One Greengrass core device on this machine, and the deployment API the state machine calls (`createDeployment`,
 * and the IoT job's `describeJob`). A deployment puts the model component's artifacts where Greengrass would
 * (`packages/artifacts/<component>/<version>/`), builds the inference component's environment from its recipe's
 * `Setenv` and configuration, and (re)starts the real detector as a child process — from source, in place of the
 * packaged ZIP. The deployment succeeds when the detector publishes its first valid result with the new model, and
 * fails if it exits first; with `ROLLBACK` the previous deployment's detector is started again.
 */
export class LocalGreengrass {
  readonly deployments: LocalDeployment[] = [];
  private detector?: {
    process: ChildProcess;
    deployment: LocalDeployment;
    env: NodeJS.ProcessEnv;
    exited: Promise<unknown>;
  };
  private lastGood?: { deployment: LocalDeployment; env: NodeJS.ProcessEnv };
  private readonly unsubscribe: () => void;

  constructor(private readonly options: LocalGreengrassOptions) {
    this.unsubscribe = options.broker.onMessage((message) => {
      const current = this.detector?.deployment;
      if (!current || current.status !== "IN_PROGRESS" || message.topic !== options.topic) return;
      if (message.clientId !== options.thingName) return;
      let body: unknown;
      try {
        body = JSON.parse(message.payload.toString("utf8"));
      } catch {
        return;
      }
      // Results queued by an earlier model (the outbox replays them) do not prove the new one runs.
      if (
        inferenceResultProblems(body).length > 0 ||
        (body as { modelVersion?: string }).modelVersion !== current.modelVersion
      )
        return;
      current.status = "SUCCEEDED";
      current.firstResultAt = message.receivedAt;
      this.lastGood = { deployment: current, env: this.detector!.env };
    });
  }

  /** The running detector's deployment, if any. */
  get current(): LocalDeployment | undefined {
    return this.detector?.deployment;
  }

  async createDeployment(request: unknown) {
    const asked = parseRequest(createDeploymentSchema, request, "GreengrassV2.ValidationException", "CreateDeployment");
    const token = asked.ClientToken;
    const repeated = token && this.deployments.find((d) => d.clientToken === token);
    if (repeated) return this.created(repeated);
    const components = Object.fromEntries(
      Object.entries(asked.Components).map(([name, spec]) => [name, spec.ComponentVersion]),
    );
    const recipes: [string, string, LocalRecipe][] = [];
    for (const [name, version] of Object.entries(components)) {
      const recipe = await this.options.registry.recipe(name, version);
      if (!recipe)
        throw new ServiceError("GreengrassV2.ResourceNotFoundException", `component ${name} ${version} does not exist`);
      recipes.push([name, version, recipe]);
    }
    const deployment: LocalDeployment = {
      deploymentId: randomUUID(),
      iotJobId: randomUUID(),
      components,
      modelVersion: "",
      modelDir: "",
      status: "IN_PROGRESS",
      rollback: asked.DeploymentPolicies?.FailureHandlingPolicy !== "DO_NOTHING",
      clientToken: token,
      startedAt: Date.now(),
    };
    this.deployments.push(deployment);
    // The device works on the deployment after CreateDeployment has answered, as a real one does.
    void this.deploy(deployment, recipes).catch((error: Error) => this.fail(deployment, error.message));
    return this.created(deployment);
  }

  private created(deployment: LocalDeployment) {
    return {
      DeploymentId: deployment.deploymentId,
      IotJobId: deployment.iotJobId,
      IotJobArn: `arn:aws:iot:${this.options.region}:${this.options.account}:job/${deployment.iotJobId}`,
    };
  }

  private async deploy(deployment: LocalDeployment, recipes: [string, string, LocalRecipe][]): Promise<void> {
    const { rootDir } = this.options;
    const artifactPaths: Record<string, string> = {};
    for (const [name, version, recipe] of recipes) {
      const folder = path.join(rootDir, "packages", "artifacts", name, version);
      artifactPaths[name] = folder;
      if (recipe.Manifests[0].Lifecycle) continue;
      // Artifact-only components (the model): download every artifact, as the nucleus does before anything runs.
      await mkdir(folder, { recursive: true });
      for (const artifact of recipe.Manifests[0].Artifacts ?? []) {
        const uri = artifact.Uri ?? artifact.URI ?? "";
        const { bucket, key } = parseS3Uri(uri);
        if (bucket !== this.options.objects.bucket || !(await this.options.objects.head(key))) {
          throw new Error(`${name} ${version}: cannot download the artifact ${uri}`);
        }
        await copyFile(this.options.objects.pathOf(key), path.join(folder, path.posix.basename(key)));
      }
    }
    const withLifecycle = recipes.filter(([, , recipe]) => recipe.Manifests[0].Lifecycle);
    if (withLifecycle.length !== 1)
      throw new Error("the deployment must hold exactly one component that runs (the detector)");
    const [name, , recipe] = withLifecycle[0];
    const env = this.environmentOf(name, recipe, artifactPaths);
    const modelDir = env.QI_EDGE_MODEL ?? "";
    const manifest = modelManifestSchema.safeParse(
      JSON.parse(await readFile(path.join(modelDir, MODEL_MANIFEST_FILE), "utf8").catch(() => "null")),
    );
    if (!manifest.success) throw new Error(`the model folder ${modelDir} has no valid ${MODEL_MANIFEST_FILE}`);
    deployment.modelVersion = manifest.data.version;
    deployment.modelDir = modelDir;
    await this.stopDetector();
    this.startDetector(deployment, env);
  }

  /** The detector's environment: the recipe's Setenv with Greengrass's placeholders filled in. */
  private environmentOf(name: string, recipe: LocalRecipe, artifactPaths: Record<string, string>): NodeJS.ProcessEnv {
    const { rootDir, thingName } = this.options;
    const configuration = {
      ...(recipe.ComponentConfiguration?.DefaultConfiguration ?? {}),
      ...this.options.configuration,
    };
    const resolve = (placeholder: string): string => {
      if (placeholder.startsWith("configuration:/")) {
        const value = configuration[placeholder.slice("configuration:/".length)];
        if (value === undefined) throw new Error(`${name}: configuration has no ${placeholder}`);
        return typeof value === "string" ? value : JSON.stringify(value);
      }
      if (placeholder === "work:path") return path.join(rootDir, "work", name);
      if (placeholder === "iot:thingName") return thingName;
      const artifacts = /^(.+):artifacts:path$/.exec(placeholder);
      if (artifacts && artifactPaths[artifacts[1]]) return artifactPaths[artifacts[1]];
      throw new Error(`${name}: the local nucleus cannot fill {${placeholder}}`);
    };
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, ...this.options.environment };
    for (const [variable, value] of Object.entries(recipe.Manifests[0].Lifecycle?.Setenv ?? {})) {
      env[variable] = value.replace(PLACEHOLDER, (_, placeholder: string) => resolve(placeholder));
    }
    return env;
  }

  private startDetector(deployment: LocalDeployment, env: NodeJS.ProcessEnv): void {
    const child = spawn(process.execPath, ["--require", require.resolve("tsx/cjs"), this.options.detectorEntry], {
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const lines: string[] = [];
    const onLine = (line: string) => {
      lines.push(line);
      if (lines.length > 20) lines.shift();
      this.options.onDetectorLine?.(line);
    };
    createInterface({ input: child.stdout! }).on("line", onLine);
    createInterface({ input: child.stderr! }).on("line", onLine);
    // "close", not "exit": the detector's last lines have been read by then.
    const exited = once(child, "close").then(([code, signal]) => {
      if (this.detector?.process === child) this.detector = undefined;
      if (deployment.status === "IN_PROGRESS") {
        const how = signal ? `was stopped (${signal})` : `exited with code ${code}`;
        this.fail(deployment, `the detector ${how} before its first result: ${lines.slice(-5).join(" | ")}`);
      }
    });
    this.detector = { process: child, deployment, env, exited };
  }

  private fail(deployment: LocalDeployment, reason: string): void {
    if (deployment.status !== "IN_PROGRESS") return;
    deployment.status = "FAILED";
    deployment.reason = reason;
    const previous = this.lastGood;
    if (!deployment.rollback || !previous || this.detector) return;
    // ROLLBACK: the device goes back to the components of its last good deployment.
    this.startDetector(previous.deployment, previous.env);
  }

  /** What DescribeJob reports for the deployment's IoT job: one device, counted by its state. */
  describeJob(request: unknown) {
    const id = z.looseObject({ JobId: z.string().min(1) }).safeParse(request);
    const deployment = id.success ? this.deployments.find((d) => d.iotJobId === id.data.JobId) : undefined;
    if (!deployment) throw new ServiceError("Iot.ResourceNotFoundException", `no IoT job ${JSON.stringify(request)}`);
    const count = (status: DeploymentStatus) => (deployment.status === status ? 1 : 0);
    return {
      Job: {
        JobId: deployment.iotJobId,
        // Thing-group deployments are continuous: their job never completes.
        Status: "IN_PROGRESS",
        JobProcessDetails: {
          NumberOfQueuedThings: 0,
          NumberOfInProgressThings: count("IN_PROGRESS"),
          NumberOfSucceededThings: count("SUCCEEDED"),
          NumberOfFailedThings: count("FAILED"),
          NumberOfRejectedThings: 0,
          NumberOfTimedOutThings: 0,
          NumberOfCanceledThings: 0,
          NumberOfRemovedThings: 0,
        },
      },
    };
  }

  /** Stops the detector: SIGTERM (it delivers what it can), then SIGKILL after `graceMs`. */
  async stopDetector(graceMs = 10_000): Promise<void> {
    const detector = this.detector;
    if (!detector) return;
    this.detector = undefined;
    if (detector.process.exitCode === null && detector.process.signalCode === null) {
      detector.process.kill("SIGTERM");
      const timer = setTimeout(() => detector.process.kill("SIGKILL"), graceMs);
      await detector.exited;
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    this.unsubscribe();
    await this.stopDetector();
  }
}
