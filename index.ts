import { loadStackConfig } from "./config";
import { createInfrastructure } from "./infrastructure";

const infra = createInfrastructure(loadStackConfig());

export const bucketName = infra.dataLake.bucketName;
export const featureGroupName = infra.labelStore.featureGroupName;
export const modelPackageGroupName = infra.modelRegistry.modelPackageGroupName;
export const sagemakerExecutionRoleArn = infra.sagemakerRole.roleArn;
export const featureStoreRoleArn = infra.labelStore.roleArn;
