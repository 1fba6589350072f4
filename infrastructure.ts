import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { EdgeArtifact } from "./cloud/fleet";
import { TRAINING_ENTRY_POINT, writeTrainingCodeArchive } from "./cloud/trainingCode";
import { StackConfig } from "./config/schema";
import { DataLake } from "./components/dataLake";
import { EdgeFleet } from "./components/edgeFleet";
import { InspectionResults } from "./components/inspectionResults";
import { LabelingWorkforce } from "./components/labelingWorkforce";
import { LabelStore } from "./components/labelStore";
import { ModelRegistry } from "./components/modelRegistry";
import { QualityInspectionPipeline } from "./components/qualityInspectionPipeline";
import { SageMakerExecutionRole } from "./components/sagemakerExecutionRole";
import { SimulatedDevice } from "./components/simulatedDevice";
import { componentNames } from "./contracts/modelComponent";
import { packageEdge } from "./edge/package";
import { TRAINING_DIR } from "./training/python";

export interface InfrastructureOptions {
  /** The packaged inference component; by default `edge/package.ts` builds it. */
  edgeArtifact?: Promise<EdgeArtifact>;
}

/** The options every top-level component gets (the one AWS provider), and the account it deploys to. */
interface Deployment {
  opts: pulumi.ComponentResourceOptions;
  accountId: pulumi.Output<string>;
}

/** Everything one stack deploys, from its validated config. `index.ts` turns the result into stack outputs. */
export function createInfrastructure(config: StackConfig, options: InfrastructureOptions = {}) {
  // Every AWS resource and data source goes through this provider: the common tags are set here, once, and AWS adds
  // them to every resource that takes tags (see docs/decisions.md).
  const provider = new aws.Provider("aws", {
    region: config.region as aws.Region,
    defaultTags: { tags: config.tags },
  });
  const deployment: Deployment = {
    opts: { providers: [provider] },
    accountId: aws.getCallerIdentityOutput({}, { provider }).accountId,
  };
  const { opts, accountId } = deployment;

  const dataLake = new DataLake(
    "data-lake",
    {
      ...config.dataLake,
      // Ground Truth's worker UI fetches the images from the bucket in the worker's browser.
      browserReadOrigins: ["*"],
      // The rule was the pipeline component's (`pipeline-labeling-cors`) until the data lake took it over: this alias
      // moves it in an existing stack, where a new rule and a delete of the old would leave the bucket without one.
      corsAliases: [
        {
          name: "pipeline-labeling-cors",
          parent: pulumi.createUrn("pipeline", "qualityinspection:pipeline:QualityInspectionPipeline"),
        },
      ],
    },
    opts,
  );

  const labelStore = new LabelStore(
    "labels",
    {
      namePrefix: config.namePrefix,
      featureGroupName: `${config.namePrefix}-labels`,
      bucketName: dataLake.bucketName,
      bucketArn: dataLake.bucketArn,
    },
    opts,
  );

  const modelRegistry = new ModelRegistry(
    "models",
    { modelPackageGroupName: config.registry.modelPackageGroupName },
    opts,
  );

  const sagemakerRole = new SageMakerExecutionRole(
    "sagemaker-execution",
    { bucketArn: dataLake.bucketArn, region: config.region, accountId },
    opts,
  );

  const { labelingWorkforce, workteam } = createLabelingTeam(config, deployment);
  const { fleet, simulatedDevice } = createEdge(config, deployment, dataLake, options.edgeArtifact);
  const pipeline = createPipeline(config, deployment, {
    dataLake,
    labelStore,
    modelRegistry,
    sagemakerRole,
    workteam,
    fleet,
  });
  const results = new InspectionResults(
    "results",
    {
      namePrefix: config.namePrefix,
      region: config.region,
      accountId,
      bucketName: dataLake.bucketName,
      bucketArn: dataLake.bucketArn,
      resultTopic: config.edge.topic,
      devices: config.edge.coreDevices,
      alertsTopicArn: pipeline.alertsTopicArn,
      results: config.results,
      logRetentionDays: config.logs.retentionDays,
    },
    opts,
  );

  return {
    provider,
    dataLake,
    labelStore,
    modelRegistry,
    sagemakerRole,
    labelingWorkforce,
    pipeline,
    fleet,
    simulatedDevice,
    results,
  };
}

/** Who labels: a private workforce this stack creates, an existing workteam, the public crowd, or the labeling app. */
function createLabelingTeam(config: StackConfig, { opts, accountId }: Deployment) {
  const { workforce } = config.labeling;
  const labelingWorkforce =
    workforce.kind === "create"
      ? new LabelingWorkforce("labeling", { namePrefix: config.namePrefix, accountId }, opts)
      : undefined;
  const workteam =
    workforce.kind === "existing"
      ? workforce.workteamArn
      : workforce.kind === "public"
        ? "public"
        : workforce.kind === "none"
          ? ""
          : labelingWorkforce!.workteamArn;
  return { labelingWorkforce, workteam };
}

/** The fleet, and the EC2 instance that plays one of its core devices if the stack asks for it. */
function createEdge(
  config: StackConfig,
  { opts, accountId }: Deployment,
  dataLake: DataLake,
  edgeArtifact: Promise<EdgeArtifact> | undefined,
) {
  const names = componentNames(config.namePrefix);
  const { edge } = config;
  const fleet = new EdgeFleet(
    "fleet",
    {
      namePrefix: config.namePrefix,
      region: config.region,
      accountId,
      bucketName: dataLake.bucketName,
      bucketArn: dataLake.bucketArn,
      thingGroupName: edge.thingGroupName,
      coreDevices: edge.coreDevices,
      architecture: edge.architecture,
      topic: edge.topic,
      imagesDir: edge.imagesDir,
      intervalSeconds: edge.intervalSeconds,
      uncertainty: edge.uncertainty,
      inferenceComponentName: names.inference,
      modelComponentName: names.model,
      artifact: edgeArtifact ?? packageEdge({ arch: edge.architecture }),
    },
    opts,
  );

  const simulated = edge.simulatedDevice;
  const simulatedDevice = simulated
    ? new SimulatedDevice(
        "simulated-device",
        {
          region: config.region,
          accountId,
          device: fleet.devices.find((d) => d.thingName === simulated.thingName)!,
          instanceType: simulated.instanceType,
          architecture: edge.architecture,
          thingGroupName: fleet.thingGroupName,
          roleAliasName: fleet.roleAliasName,
          iotDataEndpoint: fleet.iotDataEndpoint,
          iotCredentialsEndpoint: fleet.iotCredentialsEndpoint,
          nucleusVersion: edge.nucleusVersion,
          imagesDir: edge.imagesDir,
          bucketName: dataLake.bucketName,
          bucketArn: dataLake.bucketArn,
        },
        opts,
      )
    : undefined;
  return { fleet, simulatedDevice };
}

/** The pipeline, wired to the stores, roles and fleet it works with, and the training code it uploads. */
function createPipeline(
  config: StackConfig,
  { opts, accountId }: Deployment,
  parts: {
    dataLake: DataLake;
    labelStore: LabelStore;
    modelRegistry: ModelRegistry;
    sagemakerRole: SageMakerExecutionRole;
    workteam: pulumi.Input<string> | "public";
    fleet: EdgeFleet;
  },
) {
  const { dataLake, labelStore, modelRegistry, fleet } = parts;
  const names = componentNames(config.namePrefix);
  const trainingCode = writeTrainingCodeArchive(TRAINING_DIR);
  const pipeline = new QualityInspectionPipeline(
    "pipeline",
    {
      namePrefix: config.namePrefix,
      region: config.region,
      tags: config.tags,
      accountId,
      dataLake: { bucketName: dataLake.bucketName, bucketArn: dataLake.bucketArn },
      labelStore: { featureGroupName: labelStore.featureGroupName, featureGroupArn: labelStore.featureGroupArn },
      registry: {
        modelPackageGroupName: modelRegistry.modelPackageGroupName,
        modelPackageGroupArn: modelRegistry.modelPackageGroupArn,
        approvalStatus: config.registry.approvalStatus,
      },
      sagemakerRoleArn: parts.sagemakerRole.roleArn,
      workteam: parts.workteam,
      labeling: {
        maxImagesPerJob: config.labeling.maxImagesPerJob,
        classes: config.labeling.classes,
        verification: config.labeling.verification,
        provider: config.labeling.provider,
        builtin: config.labeling.builtin,
      },
      dataset: config.dataset,
      training: config.training,
      evaluation: config.evaluation,
      compilation: config.compilation,
      deploy: config.deploy,
      schedule: config.schedule,
      newImagesTrigger: config.newImagesTrigger,
      logs: config.logs,
      alerts: config.alerts,
      edge: {
        thingGroupName: config.edge.thingGroupName,
        coreDevices: config.edge.coreDevices,
        inferenceComponentName: names.inference,
        inferenceComponentVersion: fleet.inferenceComponentVersion,
        inferenceRecipeKey: fleet.inferenceRecipeKey,
        modelComponentName: names.model,
      },
      trainingCode: { key: trainingCode.key, path: trainingCode.path },
    },
    opts,
  );
  if (!trainingCode.hasEntryPoint) {
    pulumi.log.warn(`${TRAINING_DIR} has no ${TRAINING_ENTRY_POINT}: training jobs will fail until it does`, pipeline);
  }
  return pipeline;
}
