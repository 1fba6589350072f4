import type { StackConfig } from "../config/schema";
import { componentNames } from "../contracts/modelComponent";
import { pytorchTrainingImage } from "../lib/deepLearningContainers";
import type { PipelineFunction } from "./functions";

/** Everything the definition depends on: ARNs and names of what the component created, and the stack's settings. */
export interface PipelineDefinitionArgs {
  namePrefix: string;
  region: string;
  /** The stack's common tags; every job, component version and deployment a run creates carries them. */
  tags: Record<string, string>;
  bucketName: string;
  /** ARN of each Lambda function the state machine invokes. */
  functions: Record<PipelineFunction, string>;
  alertsTopicArn: string;
  roles: { sagemaker: string; labeling: string };
  labeling: {
    classes: string[];
    maxImagesPerJob: number;
    /** A private workteam, or the public Mechanical Turk crowd (Ground Truth); none for the labeling app. */
    workforce: { kind: "private"; workteamArn: string } | { kind: "public" } | { kind: "none" };
    verification: boolean;
    /** The labeling app (a batch completed with a task token) or Ground Truth (createLabelingJob.sync). */
    provider: StackConfig["labeling"]["provider"];
    builtin: StackConfig["labeling"]["builtin"];
  };
  dataset: StackConfig["dataset"];
  /** The stack's training settings, the PyTorch image, and the code bundle. */
  training: StackConfig["training"] & {
    image: string;
    /** `s3://…/code/….tar.gz` with train.py (the SageMaker framework container's submit directory). */
    sourceUri: string;
  };
  evaluation: StackConfig["evaluation"];
  registry: { modelPackageGroupName: string; approvalStatus: "Approved" | "PendingManualApproval" };
  compilation: { target: string; pollIntervalSeconds: number; maxPolls: number };
  deploy: {
    thingGroupArn: string;
    modelComponentName: string;
    /** The inference component: its version and the data lake key of its recipe (see EdgeFleet). */
    inferenceComponent: { name: string; version: string; recipeKey: string };
    pollIntervalSeconds: number;
    maxPolls: number;
  };
}

/** The stack settings the definition depends on, as the pipeline component receives them. */
export interface DefinitionSettings {
  namePrefix: string;
  region: string;
  /** The stack's common tags, for what the runs create. */
  tags: StackConfig["tags"];
  labeling: Omit<StackConfig["labeling"], "workforce">;
  dataset: StackConfig["dataset"];
  training: StackConfig["training"];
  evaluation: StackConfig["evaluation"];
  approvalStatus: StackConfig["registry"]["approvalStatus"];
  compilation: StackConfig["compilation"];
  deploy: StackConfig["deploy"];
  modelComponentName: string;
  inferenceComponentName: string;
}

/** A stack config's settings for the definition: what the offline run and the tests build it from. */
export function definitionSettingsOf(config: StackConfig): DefinitionSettings {
  const names = componentNames(config.namePrefix);
  return {
    namePrefix: config.namePrefix,
    region: config.region,
    tags: config.tags,
    labeling: config.labeling,
    dataset: config.dataset,
    training: config.training,
    evaluation: config.evaluation,
    approvalStatus: config.registry.approvalStatus,
    compilation: config.compilation,
    deploy: config.deploy,
    modelComponentName: names.model,
    inferenceComponentName: names.inference,
  };
}

/** Names and ARNs of what the stack created (in AWS), or of their local stand-ins (the offline run). */
export interface DefinitionResources {
  bucketName: string;
  functions: Record<PipelineFunction, string>;
  alertsTopicArn: string;
  sagemakerRole: string;
  labelingRole: string;
  /** A private workteam's ARN, `public` for Mechanical Turk, or empty when the labeling app labels. */
  workteam: string;
  modelPackageGroupName: string;
  thingGroupArn: string;
  /** Data lake key of the training code bundle. */
  codeKey: string;
  inferenceVersion: string;
  inferenceRecipeKey: string;
}

/**
 * The definition's inputs from stack settings and resources: the one mapping both `pulumi up` (the pipeline
 * component) and the offline run use, so that both build the same state machine from the same stack file.
 */
export function pipelineDefinitionArgs(
  settings: DefinitionSettings,
  resources: DefinitionResources,
): PipelineDefinitionArgs {
  const { namePrefix, region, labeling, training, deploy } = settings;
  return {
    namePrefix,
    region,
    tags: settings.tags,
    bucketName: resources.bucketName,
    functions: resources.functions,
    alertsTopicArn: resources.alertsTopicArn,
    roles: { sagemaker: resources.sagemakerRole, labeling: resources.labelingRole },
    labeling: {
      classes: labeling.classes,
      maxImagesPerJob: labeling.maxImagesPerJob,
      verification: labeling.verification,
      provider: labeling.provider,
      builtin: labeling.builtin,
      workforce:
        resources.workteam === ""
          ? { kind: "none" }
          : resources.workteam === "public"
            ? { kind: "public" }
            : { kind: "private", workteamArn: resources.workteam },
    },
    dataset: settings.dataset,
    training: {
      ...training,
      image: pytorchTrainingImage(region, training.instanceType),
      sourceUri: `s3://${resources.bucketName}/${resources.codeKey}`,
    },
    evaluation: settings.evaluation,
    registry: { modelPackageGroupName: resources.modelPackageGroupName, approvalStatus: settings.approvalStatus },
    compilation: settings.compilation,
    deploy: {
      thingGroupArn: resources.thingGroupArn,
      modelComponentName: settings.modelComponentName,
      inferenceComponent: {
        name: settings.inferenceComponentName,
        version: resources.inferenceVersion,
        recipeKey: resources.inferenceRecipeKey,
      },
      pollIntervalSeconds: deploy.pollIntervalSeconds,
      maxPolls: deploy.maxPolls,
    },
  };
}
