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
