import * as pulumi from "@pulumi/pulumi";
import { loadStackConfig } from "./config";
import { createInfrastructure } from "./infrastructure";

const infra = createInfrastructure(loadStackConfig());

export const bucketName = infra.dataLake.bucketName;
export const featureGroupName = infra.labelStore.featureGroupName;
export const modelPackageGroupName = infra.modelRegistry.modelPackageGroupName;
export const sagemakerExecutionRoleArn = infra.sagemakerRole.roleArn;
export const featureStoreRoleArn = infra.labelStore.roleArn;
export const stateMachineArn = infra.pipeline.stateMachineArn;
export const stateMachineName = infra.pipeline.stateMachineName;
export const alertsTopicArn = infra.pipeline.alertsTopicArn;
export const pipelineLogGroupName = infra.pipeline.logGroupName;
export const trainingCodeUri = infra.pipeline.trainingCodeUri;
export const labelingPortalUrl = infra.labelingWorkforce?.labelingPortalUrl;
export const thingGroupName = infra.fleet.thingGroupName;
export const coreDeviceThingNames = infra.fleet.devices.map((device) => device.thingName);
export const coreDeviceCertificateParameters = Object.fromEntries(
  infra.fleet.devices.map((device) => [
    device.thingName,
    { certificate: device.certificateParameterName, privateKey: device.privateKeyParameterName },
  ]),
);
export const roleAliasName = infra.fleet.roleAliasName;
export const iotDataEndpoint = infra.fleet.iotDataEndpoint;
export const iotCredentialsEndpoint = infra.fleet.iotCredentialsEndpoint;
export const inferenceComponentVersion = infra.fleet.inferenceComponentVersion;
export const inferenceArtifactUri = infra.fleet.inferenceArtifactUri;
export const resultsDatabaseName = infra.results.databaseName;
export const resultsWorkgroupName = infra.results.workgroupName;
export const resultsDashboardName = infra.results.dashboardName;
export const simulatedDeviceInstanceId = infra.simulatedDevice?.instanceId;
/** Prints the core devices' Greengrass status and the deployments they run. */
export const deviceHealthCommand = `npm run pipeline -- devices --stack ${pulumi.getStack()}`;
