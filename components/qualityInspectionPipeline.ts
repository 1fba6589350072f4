import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../config/schema";
import { alertsKeyStatements } from "../cloud/alertsKey";
import { datasetQueryStatements } from "../cloud/datasetQueryPolicy";
import { labelStoreQueryEnvironment } from "../lib/labels/queryEnvironment";
import { arnIn, policyDocument, serviceTrustPolicy } from "../cloud/iam";
import {
  labelingRoleStatements,
  pipelineFunctionAccess,
  PipelineScope,
  stateMachineStatements,
} from "../cloud/pipelinePolicies";
import { partitionOf } from "../lib/deepLearningContainers";
import type { StateMachineDefinition } from "../stateMachines/asl";
import { DefinitionResources, DefinitionSettings, pipelineDefinitionArgs } from "../stateMachines/definitionArgs";
import {
  functionName,
  functionSlug,
  PIPELINE_FUNCTIONS,
  type PipelineFunction as FunctionKey,
} from "../stateMachines/functions";
import { buildPipelineDefinition } from "../stateMachines/qualityInspection";
import { PipelineFunction } from "./pipelineFunction";
import { PipelineStateMachine } from "./pipelineStateMachine";
import { NewImagesTrigger } from "./newImagesTrigger";
import { PipelineTriggers } from "./pipelineTriggers";

export interface QualityInspectionPipelineArgs {
  namePrefix: string;
  region: string;
  /** The stack's common tags, for what the state machine creates at run time (Pulumi's own resources get them from the provider). */
  tags: Record<string, string>;
  accountId: pulumi.Input<string>;
  dataLake: { bucketName: pulumi.Input<string>; bucketArn: pulumi.Input<string> };
  labelStore: { featureGroupName: pulumi.Input<string>; featureGroupArn: pulumi.Input<string> };
  registry: {
    modelPackageGroupName: pulumi.Input<string>;
    modelPackageGroupArn: pulumi.Input<string>;
    approvalStatus: StackConfig["registry"]["approvalStatus"];
  };
  /** Role of the training and Neo compilation jobs. */
  sagemakerRoleArn: pulumi.Input<string>;
  /** A private workteam's ARN, or `public` for Mechanical Turk. */
  workteam: pulumi.Input<string> | "public";
  labeling: Omit<StackConfig["labeling"], "workforce">;
  dataset: StackConfig["dataset"];
  training: StackConfig["training"];
  evaluation: StackConfig["evaluation"];
  compilation: StackConfig["compilation"];
  deploy: StackConfig["deploy"];
  schedule: StackConfig["schedule"];
  newImagesTrigger: StackConfig["newImagesTrigger"];
  logs: StackConfig["logs"];
  alerts: StackConfig["alerts"];
  /** The fleet: its thing group, and the inference component deployed with every model (see EdgeFleet). */
  edge: {
    thingGroupName: string;
    /** The fleet's core devices (thing names), which deployments update. */
    coreDevices: string[];
    inferenceComponentName: string;
    inferenceComponentVersion: pulumi.Input<string>;
    /** Data lake key of the inference component's recipe; the deploy stage creates the version from it. */
    inferenceRecipeKey: pulumi.Input<string>;
    modelComponentName: string;
  };
  /** The training job's source archive (cloud/trainingCode.ts), already written: its data lake key and local file. */
  trainingCode: { key: string; path: string };
}

/**
 * The quality-inspection pipeline: one Step Functions state machine (label → train → gate → compile → deploy), its
 * Lambda functions, the labeling role, the alerts topic, the training code, and the EventBridge rules that start it.
 */
export class QualityInspectionPipeline extends pulumi.ComponentResource {
  public readonly stateMachineArn: pulumi.Output<string>;
  public readonly stateMachineName: pulumi.Output<string>;
  public readonly alertsTopicArn: pulumi.Output<string>;
  public readonly logGroupName: pulumi.Output<string>;
  public readonly labelingRoleArn: pulumi.Output<string>;
  public readonly trainingCodeUri: pulumi.Output<string>;

  constructor(name: string, args: QualityInspectionPipelineArgs, opts?: pulumi.ComponentResourceOptions) {
    super("qualityinspection:pipeline:QualityInspectionPipeline", name, {}, opts);
    const { namePrefix, region, accountId, dataLake } = args;
    const scope: PipelineScope = {
      partition: partitionOf(region),
      region,
      accountId,
      namePrefix,
      bucketArn: dataLake.bucketArn,
    };
    const parent = { parent: this };
    const stateMachineName = `${namePrefix}-pipeline`;

    const topic = createAlertsTopic(name, scope, args.alerts.email, parent);

    // The training code, content-addressed: a code change is a new object, older runs keep theirs.
    const codeObject = new aws.s3.BucketObjectv2(
      `${name}-training-code`,
      {
        bucket: dataLake.bucketName,
        key: args.trainingCode.key,
        source: new pulumi.asset.FileAsset(args.trainingCode.path),
        contentType: "application/gzip",
      },
      parent,
    );

    // Ground Truth runs labeling and verification jobs as this role: it reads the images and writes labeling/ only.
    const labelingRole = new aws.iam.Role(
      `${name}-labeling-role`,
      {
        description: "Runs the pipeline's Ground Truth labeling jobs",
        // Ground Truth is not documented to send aws:SourceAccount (see serviceTrustPolicy).
        assumeRolePolicy: serviceTrustPolicy("sagemaker.amazonaws.com"),
      },
      parent,
    );
    new aws.iam.RolePolicy(
      `${name}-labeling-access`,
      { role: labelingRole.id, policy: policyDocument(labelingRoleStatements(scope)) },
      parent,
    );

    const functionArns = this.functions(name, args, scope, stateMachineName);
    const stateMachine = this.stateMachine(name, args, scope, stateMachineName, {
      functionArns,
      alertsTopicArn: topic.arn,
      labelingRoleArn: labelingRole.arn,
      codeKey: codeObject.key,
    });

    new PipelineTriggers(
      name,
      {
        namePrefix,
        stateMachineArn: stateMachine.stateMachineArn,
        stateMachineName,
        scope,
        bucketName: args.dataLake.bucketName,
        bucketArn: args.dataLake.bucketArn,
        alertsTopicArn: topic.arn,
        scheduleExpression: args.schedule.expression,
        modelPackageGroupName: args.registry.modelPackageGroupName,
        accountId,
        logRetentionDays: args.logs.retentionDays,
      },
      // Cut out of this component: the resources keep their URNs as its direct children.
      { parent: this, formerParent: this },
    );

    if (args.newImagesTrigger.enabled) {
      new NewImagesTrigger(
        name,
        {
          namePrefix,
          stateMachineArn: stateMachine.stateMachineArn,
          bucketName: dataLake.bucketName,
          bucketArn: dataLake.bucketArn,
          alertsTopicArn: topic.arn,
          minImages: args.newImagesTrigger.minImages,
          maxWaitMinutes: args.newImagesTrigger.maxWaitMinutes,
          accountId,
          logRetentionDays: args.logs.retentionDays,
        },
        parent,
      );
    }

    this.stateMachineArn = stateMachine.stateMachineArn;
    this.stateMachineName = stateMachine.stateMachineName;
    this.alertsTopicArn = topic.arn;
    this.logGroupName = stateMachine.logGroupName;
    this.labelingRoleArn = labelingRole.arn;
    this.trainingCodeUri = pulumi.interpolate`s3://${dataLake.bucketName}/${codeObject.key}`;
    this.registerOutputs({
      stateMachineArn: this.stateMachineArn,
      stateMachineName: this.stateMachineName,
      alertsTopicArn: this.alertsTopicArn,
      logGroupName: this.logGroupName,
      labelingRoleArn: this.labelingRoleArn,
      trainingCodeUri: this.trainingCodeUri,
    });
  }

  /** The state machine's functions, each with its own role, log group and access; their ARNs by key. */
  private functions(
    name: string,
    args: QualityInspectionPipelineArgs,
    scope: PipelineScope,
    stateMachineName: string,
  ): Record<FunctionKey, pulumi.Output<string>> {
    const access = pipelineFunctionAccess({
      ...scope,
      featureGroupArn: args.labelStore.featureGroupArn,
      stateMachineName,
      modelComponentName: args.edge.modelComponentName,
      inferenceComponentName: args.edge.inferenceComponentName,
    });
    const environment: Record<string, pulumi.Input<string>> = {
      BUCKET_NAME: args.dataLake.bucketName,
      FEATURE_GROUP_NAME: args.labelStore.featureGroupName,
      COMPONENT_ARN_PREFIX: arnIn(scope, "greengrass", "components:"),
    };
    // Large datasets are split by Athena over the label store's history (lambdas/buildDataset/index.ts).
    if (args.dataset.athenaAboveImages !== null) {
      Object.assign(environment, labelStoreQueryEnvironment(args.namePrefix));
      access.buildDataset.push(...datasetQueryStatements(scope));
    }
    const arns = (Object.keys(PIPELINE_FUNCTIONS) as FunctionKey[]).map((key) => {
      const fn = new PipelineFunction(
        `${name}-${functionSlug(key)}`,
        {
          functionName: functionName(args.namePrefix, key),
          ...PIPELINE_FUNCTIONS[key],
          statements: access[key],
          environment,
          accountId: args.accountId,
          logRetentionDays: args.logs.retentionDays,
        },
        // Cut out of this component: the resources keep their URNs as its direct children.
        { parent: this, formerParent: this },
      );
      return [key, fn.functionArn];
    });
    return Object.fromEntries(arns) as Record<FunctionKey, pulumi.Output<string>>;
  }

  /** The state machine, wired to the functions, roles, topic and training code this component created. */
  private stateMachine(
    name: string,
    args: QualityInspectionPipelineArgs,
    scope: PipelineScope,
    stateMachineName: string,
    created: {
      functionArns: Record<FunctionKey, pulumi.Output<string>>;
      alertsTopicArn: pulumi.Output<string>;
      labelingRoleArn: pulumi.Output<string>;
      codeKey: pulumi.Output<string>;
    },
  ): PipelineStateMachine {
    const { dataLake, registry, edge } = args;
    const resources = pulumi.output({
      bucketName: dataLake.bucketName,
      functions: created.functionArns,
      alertsTopicArn: created.alertsTopicArn,
      sagemakerRole: args.sagemakerRoleArn,
      labelingRole: created.labelingRoleArn,
      workteam: args.workteam,
      modelPackageGroupName: registry.modelPackageGroupName,
      thingGroupArn: arnIn(scope, "iot", `thinggroup/${edge.thingGroupName}`),
      codeKey: created.codeKey,
      inferenceVersion: edge.inferenceComponentVersion,
      inferenceRecipeKey: edge.inferenceRecipeKey,
    });
    return new PipelineStateMachine(
      name,
      {
        stateMachineName,
        definition: this.definition(args, resources),
        statements: stateMachineStatements({
          ...scope,
          functionArns: Object.values(created.functionArns),
          modelPackageGroupName: registry.modelPackageGroupName,
          modelPackageGroupArn: registry.modelPackageGroupArn,
          sagemakerRoleArn: args.sagemakerRoleArn,
          labelingRoleArn: created.labelingRoleArn,
          alertsTopicArn: created.alertsTopicArn,
          thingGroupName: edge.thingGroupName,
          coreDevices: edge.coreDevices,
          labelingProvider: args.labeling.provider,
        }),
        accountId: args.accountId,
        logRetentionDays: args.logs.retentionDays,
      },
      // Cut out of this component: the resources keep their URNs as its direct children.
      { parent: this, formerParent: this },
    );
  }

  /** The state machine's definition: the stack's settings and the names and ARNs of what this component created. */
  private definition(
    args: QualityInspectionPipelineArgs,
    resources: pulumi.Output<DefinitionResources>,
  ): pulumi.Output<StateMachineDefinition> {
    const settings: DefinitionSettings = {
      namePrefix: args.namePrefix,
      region: args.region,
      tags: args.tags,
      labeling: args.labeling,
      dataset: args.dataset,
      training: args.training,
      evaluation: args.evaluation,
      approvalStatus: args.registry.approvalStatus,
      compilation: args.compilation,
      deploy: args.deploy,
      modelComponentName: args.edge.modelComponentName,
      inferenceComponentName: args.edge.inferenceComponentName,
    };
    return resources.apply((resolved) => buildPipelineDefinition(pipelineDefinitionArgs(settings, resolved)));
  }
}

/**
 * Failures and alarms are announced on this topic, encrypted with a key of our own: CloudWatch alarms cannot publish
 * to a topic under the AWS managed key (cloud/alertsKey.ts).
 */
function createAlertsTopic(
  name: string,
  scope: PipelineScope,
  email: string,
  parent: pulumi.CustomResourceOptions,
): aws.sns.Topic {
  const alertsKey = new aws.kms.Key(
    `${name}-alerts-key`,
    {
      description: `Encrypts the ${scope.namePrefix} pipeline's alerts topic`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      policy: policyDocument(alertsKeyStatements(scope)),
    },
    parent,
  );
  const topic = new aws.sns.Topic(
    `${name}-alerts`,
    { name: `${scope.namePrefix}-pipeline-alerts`, kmsMasterKeyId: alertsKey.arn },
    parent,
  );
  new aws.sns.TopicSubscription(
    `${name}-alerts-email`,
    { topic: topic.arn, protocol: "email", endpoint: email },
    parent,
  );
  return topic;
}
