import * as aws from "@pulumi/aws";
import { StackConfig } from "./config/schema";
import { DataLake } from "./components/dataLake";
import { LabelingWorkforce } from "./components/labelingWorkforce";
import { LabelStore } from "./components/labelStore";
import { ModelRegistry } from "./components/modelRegistry";
import { QualityInspectionPipeline } from "./components/qualityInspectionPipeline";
import { SageMakerExecutionRole } from "./components/sagemakerExecutionRole";
import { EdgeArtifact, EdgeFleet } from "./components/edgeFleet";
import { SimulatedDevice } from "./components/simulatedDevice";
import { componentNames } from "./contracts/modelComponent";
import { packageEdge } from "./edge/package";
import { TRAINING_DIR } from "./training/python";

export interface InfrastructureOptions {
  /** The packaged inference component; by default `edge/package.ts` builds it. */
  edgeArtifact?: Promise<EdgeArtifact>;
}

/** Everything one stack deploys, from its validated config. `index.ts` turns the result into stack outputs. */
export function createInfrastructure(config: StackConfig, options: InfrastructureOptions = {}) {
  // Every AWS resource and data source goes through this provider: the common tags are set here, once, and AWS adds
  // them to every resource that takes tags (see docs/decisions.md).
  const provider = new aws.Provider("aws", {
    region: config.region as aws.Region,
    defaultTags: { tags: config.tags },
  });
  const opts = { providers: [provider] };
  const accountId = aws.getCallerIdentityOutput({}, { provider }).accountId;

  const dataLake = new DataLake("data-lake", config.dataLake, opts);

  const labelStore = new LabelStore(
    "labels",
    {
      featureGroupName: `${config.namePrefix}-labels`,
      bucketName: dataLake.bucketName,
      bucketArn: dataLake.bucketArn,
      accountId,
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
    {
      bucketArn: dataLake.bucketArn,
      region: config.region,
      accountId,
    },
    opts,
  );

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
        : labelingWorkforce!.workteamArn;

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
      artifact: options.edgeArtifact ?? packageEdge({ arch: edge.architecture }),
    },
    opts,
  );

  const simulatedDevice =
    edge.simulatedDevice &&
    new SimulatedDevice(
      "simulated-device",
      {
        region: config.region,
        accountId,
        device: fleet.devices.find((d) => d.thingName === edge.simulatedDevice!.thingName)!,
        instanceType: edge.simulatedDevice.instanceType,
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
    );

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
      sagemakerRoleArn: sagemakerRole.roleArn,
      workteam,
      labeling: {
        maxImagesPerJob: config.labeling.maxImagesPerJob,
        classes: config.labeling.classes,
        verification: config.labeling.verification,
      },
      dataset: config.dataset,
      training: config.training,
      evaluation: config.evaluation,
      compilation: config.compilation,
      deploy: config.deploy,
      schedule: config.schedule,
      logs: config.logs,
      alerts: config.alerts,
      edge: {
        thingGroupName: edge.thingGroupName,
        inferenceComponentName: names.inference,
        inferenceComponentVersion: fleet.inferenceComponentVersion,
        inferenceRecipeKey: fleet.inferenceRecipeKey,
        modelComponentName: names.model,
      },
      trainingSourceDir: TRAINING_DIR,
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
    simulatedDevice: simulatedDevice || undefined,
  };
}
