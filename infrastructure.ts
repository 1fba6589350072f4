import * as aws from "@pulumi/aws";
import { StackConfig } from "./config/schema";
import { DataLake } from "./components/dataLake";
import { LabelStore } from "./components/labelStore";
import { ModelRegistry } from "./components/modelRegistry";
import { SageMakerExecutionRole } from "./components/sagemakerExecutionRole";

/** Everything one stack deploys, from its validated config. `index.ts` turns the result into stack outputs. */
export function createInfrastructure(config: StackConfig) {
  const accountId = aws.getCallerIdentityOutput().accountId;

  const dataLake = new DataLake("data-lake", config.dataLake);

  const labelStore = new LabelStore("labels", {
    featureGroupName: `${config.namePrefix}-labels`,
    bucketName: dataLake.bucketName,
    bucketArn: dataLake.bucketArn,
    accountId,
  });

  const modelRegistry = new ModelRegistry("models", {
    modelPackageGroupName: `${config.namePrefix}-scratch-detector`,
  });

  const sagemakerRole = new SageMakerExecutionRole("sagemaker-execution", {
    bucketArn: dataLake.bucketArn,
    region: config.region,
    accountId,
  });

  return { dataLake, labelStore, modelRegistry, sagemakerRole };
}
