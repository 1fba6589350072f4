import { mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../config/schema";
import { DATA_LAKE_PREFIXES } from "../contracts/dataLake";
import {
  functionName,
  functionSlug,
  PIPELINE_FUNCTIONS,
  PipelineFunction,
  STARTER_FUNCTION,
} from "../stateMachines/functions";
import { pipelineDefinitionArgs } from "../stateMachines/definitionArgs";
import { buildPipelineDefinition } from "../stateMachines/qualityInspection";
import { partitionOf } from "../lib/deepLearningContainers";
import { objectsUnder, PolicyStatement, policyDocument, serviceTrustPolicy } from "../cloud/iam";
import { lambdaArchive } from "../cloud/lambdaBundle";
import { LAMBDA_RUNTIME } from "../contracts/runtime";
import { TRAINING_ENTRY_POINT, trainingCodeArchive } from "../cloud/trainingCode";

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
  logs: StackConfig["logs"];
  alerts: StackConfig["alerts"];
  /** The fleet: its thing group, and the inference component deployed with every model (see EdgeFleet). */
  edge: {
    thingGroupName: string;
    inferenceComponentName: string;
    inferenceComponentVersion: pulumi.Input<string>;
    /** Data lake key of the inference component's recipe; the deploy stage creates the version from it. */
    inferenceRecipeKey: pulumi.Input<string>;
    modelComponentName: string;
  };
  /** The folder whose files become the training job's source (`training/`). */
  trainingSourceDir: string;
}

/**
 * The quality-inspection pipeline: one Step Functions state machine (label → train → gate → compile → deploy), its
 * Lambda functions, the labeling role, the alerts topic, and the EventBridge rules that start it.
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
    const { namePrefix, region, accountId, dataLake, labelStore, registry, edge } = args;
    const partition = partitionOf(region);
    const parent = { parent: this };
    const arn = (service: string, resource: string) =>
      pulumi.interpolate`arn:${partition}:${service}:${region}:${accountId}:${resource}`;
    const stateMachineName = `${namePrefix}-pipeline`;
    const modelComponentArn = arn("greengrass", `components:${edge.modelComponentName}`);
    const inferenceComponentArn = arn("greengrass", `components:${edge.inferenceComponentName}`);
    const thingGroupArn = arn("iot", `thinggroup/${edge.thingGroupName}`);

    // Failures are announced here; SSE with the AWS-managed key needs no key policy for Step Functions to publish.
    const topic = new aws.sns.Topic(
      `${name}-alerts`,
      { name: `${namePrefix}-pipeline-alerts`, kmsMasterKeyId: "alias/aws/sns" },
      parent,
    );
    new aws.sns.TopicSubscription(
      `${name}-alerts-email`,
      { topic: topic.arn, protocol: "email", endpoint: args.alerts.email },
      parent,
    );

    // Ground Truth's worker UI fetches the images from the bucket in the worker's browser.
    new aws.s3.BucketCorsConfiguration(
      `${name}-labeling-cors`,
      {
        bucket: dataLake.bucketName,
        corsRules: [
          {
            allowedMethods: ["GET"],
            allowedOrigins: ["*"],
            allowedHeaders: [],
            exposeHeaders: ["Access-Control-Allow-Origin"],
            maxAgeSeconds: 3000,
          },
        ],
      },
      parent,
    );

    // The training code, content-addressed: a code change is a new object, older runs keep theirs.
    const code = trainingCodeArchive(args.trainingSourceDir);
    if (!code.hasEntryPoint) {
      pulumi.log.warn(
        `${args.trainingSourceDir} has no ${TRAINING_ENTRY_POINT}: training jobs will fail until it does`,
        this,
      );
    }
    // Named by its content hash, so every `pulumi up` of the same code writes (and uploads) the same file.
    const tarballPath = path.join(tmpdir(), "qi-training-code", path.basename(code.key));
    mkdirSync(path.dirname(tarballPath), { recursive: true });
    writeFileSync(tarballPath, code.tarball);
    const codeObject = new aws.s3.BucketObjectv2(
      `${name}-training-code`,
      {
        bucket: dataLake.bucketName,
        key: code.key,
        source: new pulumi.asset.FileAsset(tarballPath),
        contentType: "application/gzip",
      },
      parent,
    );

    // Ground Truth runs labeling and verification jobs as this role: it reads the images and writes labeling/ only.
    const labelingRole = new aws.iam.Role(
      `${name}-labeling-role`,
      {
        description: "Runs the pipeline's Ground Truth labeling jobs",
        assumeRolePolicy: serviceTrustPolicy("sagemaker.amazonaws.com", accountId),
      },
      parent,
    );
    new aws.iam.RolePolicy(
      `${name}-labeling-access`,
      {
        role: labelingRole.id,
        policy: policyDocument([
          {
            sid: "ReadImagesAndJobFiles",
            actions: ["s3:GetObject"],
            resources: [
              objectsUnder(dataLake.bucketArn, DATA_LAKE_PREFIXES.images),
              objectsUnder(dataLake.bucketArn, DATA_LAKE_PREFIXES.labeling),
            ],
          },
          {
            sid: "WriteJobOutput",
            actions: ["s3:PutObject"],
            resources: [objectsUnder(dataLake.bucketArn, DATA_LAKE_PREFIXES.labeling)],
          },
          {
            sid: "ListJobFiles",
            actions: ["s3:ListBucket"],
            resources: [dataLake.bucketArn],
            conditions: {
              StringLike: { "s3:prefix": [`${DATA_LAKE_PREFIXES.labeling}*`, `${DATA_LAKE_PREFIXES.images}*`] },
            },
          },
          {
            sid: "WriteLabelingLogs",
            actions: ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
            resources: [
              arn("logs", "log-group:/aws/sagemaker/LabelingJobs"),
              arn("logs", "log-group:/aws/sagemaker/LabelingJobs:*"),
            ],
          },
          {
            // PutMetricData has no resource-level permissions: AWS requires Resource "*"; the namespace is pinned.
            sid: "PublishLabelingMetrics",
            actions: ["cloudwatch:PutMetricData"],
            resources: ["*"],
            conditions: { StringEquals: { "cloudwatch:namespace": ["/aws/sagemaker/LabelingJobs"] } },
          },
        ]),
      },
      parent,
    );

    const objects = (prefix: string) => objectsUnder(dataLake.bucketArn, prefix);
    const listUnder = (...prefixes: string[]): PolicyStatement => ({
      sid: "ListObjects",
      actions: ["s3:ListBucket"],
      resources: [dataLake.bucketArn],
      conditions: { StringLike: { "s3:prefix": prefixes.map((prefix) => `${prefix}*`) } },
    });
    const read = (...prefixes: string[]): PolicyStatement => ({
      sid: "ReadObjects",
      actions: ["s3:GetObject"],
      resources: prefixes.map(objects),
    });
    const write = (...prefixes: string[]): PolicyStatement => ({
      sid: "WriteObjects",
      actions: ["s3:PutObject"],
      resources: prefixes.map(objects),
    });
    const lookUpLabels: PolicyStatement = {
      sid: "LookUpLabels",
      actions: ["sagemaker:BatchGetRecord"],
      resources: [labelStore.featureGroupArn],
    };
    const { images, labeling, datasets, models, compiled, components } = DATA_LAKE_PREFIXES;

    /** What each function may do beyond writing its own logs and traces. */
    const access: Record<PipelineFunction, PolicyStatement[]> = {
      // Sees whether an earlier run is still going (one run at a time).
      startRun: [
        {
          sid: "ListRunningRuns",
          actions: ["states:ListExecutions"],
          resources: [arn("states", `stateMachine:${stateMachineName}`)],
        },
      ],
      findUnlabeledImages: [listUnder(images), write(labeling), lookUpLabels],
      prepareLabelingJob: [read(labeling), write(labeling)],
      ingestLabels: [
        read(labeling),
        write(labeling),
        { sid: "WriteLabels", actions: ["sagemaker:PutRecord"], resources: [labelStore.featureGroupArn] },
      ],
      buildDataset: [listUnder(images), write(datasets), lookUpLabels],
      evaluateModel: [read(models), write(models)],
      compileOnnx: [read(models, datasets, images), write(compiled)],
      createModelComponent: [
        // Copies read the source and write the target; Greengrass reads the artifacts with the caller's rights.
        read(models, compiled, components),
        write(components),
        { sid: "LocateArtifacts", actions: ["s3:GetBucketLocation"], resources: [dataLake.bucketArn] },
        {
          sid: "CreateComponentVersions",
          actions: ["greengrass:CreateComponentVersion"],
          resources: [modelComponentArn, inferenceComponentArn],
        },
        {
          // Creating a version with tags is also a TagResource call on it.
          sid: "TagComponentVersions",
          actions: ["greengrass:TagResource"],
          resources: [
            modelComponentArn,
            inferenceComponentArn,
            pulumi.interpolate`${modelComponentArn}:versions:*`,
            pulumi.interpolate`${inferenceComponentArn}:versions:*`,
          ],
        },
        {
          sid: "DescribeComponentVersions",
          actions: ["greengrass:DescribeComponent"],
          resources: [
            pulumi.interpolate`${modelComponentArn}:versions:*`,
            pulumi.interpolate`${inferenceComponentArn}:versions:*`,
          ],
        },
      ],
    };
    const environment: Record<string, pulumi.Input<string>> = {
      BUCKET_NAME: dataLake.bucketName,
      FEATURE_GROUP_NAME: labelStore.featureGroupName,
      COMPONENT_ARN_PREFIX: arn("greengrass", "components:"),
    };

    /** A function with its own role, log group (with retention) and X-Ray tracing. */
    const lambdaFunction = (
      key: string,
      spec: {
        entry: string;
        timeoutSeconds: number;
        memoryMb: number;
        ephemeralStorageMb?: number;
        description: string;
      },
      statements: PolicyStatement[],
      variables: Record<string, pulumi.Input<string>>,
    ) => {
      const deployedName = functionName(namePrefix, key);
      const logGroup = new aws.cloudwatch.LogGroup(
        `${name}-${functionSlug(key)}-logs`,
        { name: `/aws/lambda/${deployedName}`, retentionInDays: args.logs.retentionDays },
        parent,
      );
      const role = new aws.iam.Role(
        `${name}-${functionSlug(key)}-role`,
        {
          description: `Runs the ${deployedName} function`,
          assumeRolePolicy: serviceTrustPolicy("lambda.amazonaws.com", accountId),
        },
        parent,
      );
      const rolePolicy = new aws.iam.RolePolicy(
        `${name}-${functionSlug(key)}-access`,
        {
          role: role.id,
          policy: policyDocument([
            {
              sid: "WriteOwnLogs",
              actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
              resources: [pulumi.interpolate`${logGroup.arn}:*`],
            },
            {
              // X-Ray's write actions have no resource-level permissions: AWS requires Resource "*".
              sid: "WriteTraces",
              actions: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
              resources: ["*"],
            },
            ...statements,
          ]),
        },
        parent,
      );
      return new aws.lambda.Function(
        `${name}-${functionSlug(key)}`,
        {
          name: deployedName,
          description: spec.description,
          role: role.arn,
          runtime: LAMBDA_RUNTIME,
          architectures: ["x86_64"],
          handler: "index.handler",
          code: lambdaArchive(spec.entry),
          timeout: spec.timeoutSeconds,
          memorySize: spec.memoryMb,
          ephemeralStorage: { size: spec.ephemeralStorageMb ?? 512 },
          environment: { variables },
          tracingConfig: { mode: "Active" },
          loggingConfig: { logFormat: "JSON", logGroup: logGroup.name },
        },
        { parent: this, dependsOn: [rolePolicy, logGroup] },
      );
    };

    const functions = Object.fromEntries(
      (Object.keys(PIPELINE_FUNCTIONS) as PipelineFunction[]).map((key) => [
        key,
        lambdaFunction(key, PIPELINE_FUNCTIONS[key], access[key], environment),
      ]),
    ) as Record<PipelineFunction, aws.lambda.Function>;

    // The state machine's log group; Step Functions requires the /aws/vendedlogs/ prefix for long names and delivery.
    const logGroup = new aws.cloudwatch.LogGroup(
      `${name}-logs`,
      { name: `/aws/vendedlogs/states/${stateMachineName}`, retentionInDays: args.logs.retentionDays },
      parent,
    );

    const job = (kind: string) => arn("sagemaker", `${kind}/${namePrefix}-*`);
    const modelPackages = pulumi.interpolate`arn:${partition}:sagemaker:${region}:${accountId}:model-package/${registry.modelPackageGroupName}/*`;
    const stateMachineRole = new aws.iam.Role(
      `${name}-state-machine-role`,
      {
        description: `Runs the ${stateMachineName} state machine`,
        assumeRolePolicy: serviceTrustPolicy("states.amazonaws.com", accountId),
      },
      parent,
    );
    const stateMachinePolicy = new aws.iam.RolePolicy(
      `${name}-state-machine-access`,
      {
        role: stateMachineRole.id,
        policy: policyDocument([
          {
            sid: "InvokePipelineFunctions",
            actions: ["lambda:InvokeFunction"],
            resources: Object.values(functions).flatMap((fn) => [fn.arn, pulumi.interpolate`${fn.arn}:*`]),
          },
          {
            sid: "RunLabelingJobs",
            actions: ["sagemaker:CreateLabelingJob", "sagemaker:DescribeLabelingJob", "sagemaker:StopLabelingJob"],
            resources: [job("labeling-job")],
          },
          {
            sid: "RunTrainingJobs",
            actions: ["sagemaker:CreateTrainingJob", "sagemaker:DescribeTrainingJob", "sagemaker:StopTrainingJob"],
            resources: [job("training-job")],
          },
          {
            sid: "RunCompilationJobs",
            actions: [
              "sagemaker:CreateCompilationJob",
              "sagemaker:DescribeCompilationJob",
              "sagemaker:StopCompilationJob",
            ],
            resources: [job("compilation-job")],
          },
          {
            // Creating a job with Tags needs AddTags on it; the condition allows tagging only as part of the create.
            sid: "TagJobsOnCreate",
            actions: ["sagemaker:AddTags"],
            resources: [job("labeling-job"), job("training-job"), job("compilation-job")],
            conditions: {
              StringEquals: {
                "sagemaker:TaggingAction": ["CreateLabelingJob", "CreateTrainingJob", "CreateCompilationJob"],
              },
            },
          },
          // The .sync integrations read the jobs' tags.
          {
            sid: "ReadJobTags",
            actions: ["sagemaker:ListTags"],
            resources: [job("labeling-job"), job("training-job")],
          },
          {
            sid: "RegisterModels",
            actions: ["sagemaker:CreateModelPackage", "sagemaker:DescribeModelPackage"],
            resources: [registry.modelPackageGroupArn, modelPackages],
          },
          {
            sid: "PassJobRoles",
            actions: ["iam:PassRole"],
            resources: [args.sagemakerRoleArn, labelingRole.arn],
            conditions: { StringEquals: { "iam:PassedToService": ["sagemaker.amazonaws.com"] } },
          },
          {
            // .sync learns that a SageMaker job ended from EventBridge rules that Step Functions manages itself.
            sid: "ManageSyncEventRules",
            actions: ["events:PutTargets", "events:PutRule", "events:DescribeRule"],
            resources: [
              arn("events", "rule/StepFunctionsGetEventsForSageMakerTrainingJobsRule"),
              arn("events", "rule/StepFunctionsGetEventsForSageMakerLabelingJobsRule"),
            ],
          },
          {
            // CreateDeployment has no resource-level permissions: AWS requires Resource "*". The IoT actions it
            // performs on our behalf are limited to the fleet's thing group, its things and jobs below.
            sid: "DeployToFleet",
            actions: ["greengrass:CreateDeployment"],
            resources: ["*"],
          },
          {
            // Deployment ids are generated, so the fleet's deployments cannot be named more narrowly than this.
            sid: "TagDeployments",
            actions: ["greengrass:TagResource"],
            resources: [arn("greengrass", "deployments:*")],
          },
          { sid: "CreateDeploymentJobs", actions: ["iot:CreateJob"], resources: [arn("iot", "job/*"), thingGroupArn] },
          {
            sid: "FollowDeploymentJobs",
            actions: ["iot:DescribeJob", "iot:UpdateJob", "iot:CancelJob"],
            resources: [arn("iot", "job/*")],
          },
          { sid: "ReadFleet", actions: ["iot:DescribeThingGroup"], resources: [thingGroupArn] },
          {
            sid: "UpdateDeviceShadows",
            actions: ["iot:DescribeThing", "iot:GetThingShadow", "iot:UpdateThingShadow", "iot:DeleteThingShadow"],
            resources: [arn("iot", "thing/*")],
          },
          { sid: "NotifyFailures", actions: ["sns:Publish"], resources: [topic.arn] },
          {
            // Log delivery actions have no resource-level permissions: AWS requires Resource "*".
            sid: "DeliverExecutionLogs",
            actions: [
              "logs:CreateLogDelivery",
              "logs:GetLogDelivery",
              "logs:UpdateLogDelivery",
              "logs:DeleteLogDelivery",
              "logs:ListLogDeliveries",
              "logs:PutResourcePolicy",
              "logs:DescribeResourcePolicies",
              "logs:DescribeLogGroups",
            ],
            resources: ["*"],
          },
          {
            // X-Ray has no resource-level permissions: AWS requires Resource "*".
            sid: "WriteTraces",
            actions: [
              "xray:PutTraceSegments",
              "xray:PutTelemetryRecords",
              "xray:GetSamplingRules",
              "xray:GetSamplingTargets",
            ],
            resources: ["*"],
          },
        ]),
      },
      parent,
    );

    const definition = pulumi
      .output({
        bucketName: dataLake.bucketName,
        functions: Object.fromEntries(Object.entries(functions).map(([key, fn]) => [key, fn.arn])) as Record<
          PipelineFunction,
          pulumi.Output<string>
        >,
        alertsTopicArn: topic.arn,
        sagemakerRole: args.sagemakerRoleArn,
        labelingRole: labelingRole.arn,
        workteam: args.workteam,
        modelPackageGroupName: registry.modelPackageGroupName,
        thingGroupArn,
        codeKey: codeObject.key,
        inferenceVersion: edge.inferenceComponentVersion,
        inferenceRecipeKey: edge.inferenceRecipeKey,
      })
      .apply((resolved) =>
        buildPipelineDefinition(
          pipelineDefinitionArgs(
            {
              namePrefix,
              region,
              tags: args.tags,
              labeling: args.labeling,
              dataset: args.dataset,
              training: args.training,
              evaluation: args.evaluation,
              approvalStatus: registry.approvalStatus,
              compilation: args.compilation,
              deploy: args.deploy,
              modelComponentName: edge.modelComponentName,
              inferenceComponentName: edge.inferenceComponentName,
            },
            resolved,
          ),
        ),
      );

    const stateMachine = new aws.sfn.StateMachine(
      `${name}-state-machine`,
      {
        name: stateMachineName,
        type: "STANDARD",
        roleArn: stateMachineRole.arn,
        definition: pulumi.jsonStringify(definition),
        loggingConfiguration: {
          level: "ALL",
          includeExecutionData: true,
          logDestination: pulumi.interpolate`${logGroup.arn}:*`,
        },
        tracingConfiguration: { enabled: true },
      },
      { parent: this, dependsOn: [stateMachinePolicy] },
    );

    // EventBridge cannot name executions; this function does, so that a trigger delivered twice starts one run.
    const starter = lambdaFunction(
      "startPipeline",
      STARTER_FUNCTION,
      [{ sid: "StartRuns", actions: ["states:StartExecution"], resources: [stateMachine.arn] }],
      { STATE_MACHINE_ARN: stateMachine.arn },
    );
    const trigger = (ruleName: string, rule: aws.cloudwatch.EventRuleArgs) => {
      const eventRule = new aws.cloudwatch.EventRule(
        `${name}-${ruleName}`,
        { name: `${namePrefix}-${ruleName}`, ...rule },
        parent,
      );
      new aws.cloudwatch.EventTarget(
        `${name}-${ruleName}-target`,
        {
          rule: eventRule.name,
          arn: starter.arn,
          retryPolicy: { maximumEventAgeInSeconds: 3600, maximumRetryAttempts: 20 },
        },
        parent,
      );
      new aws.lambda.Permission(
        `${name}-${ruleName}-invoke`,
        {
          function: starter.name,
          action: "lambda:InvokeFunction",
          principal: "events.amazonaws.com",
          sourceArn: eventRule.arn,
        },
        parent,
      );
    };
    if (args.schedule.expression) {
      trigger("schedule", {
        description: "Starts a training run on the configured schedule",
        scheduleExpression: args.schedule.expression,
      });
    }
    trigger("model-approved", {
      description: "Starts a deploy run when a model package of this stack is approved",
      eventPattern: pulumi.jsonStringify({
        source: ["aws.sagemaker"],
        "detail-type": ["SageMaker Model Package State Change"],
        detail: { ModelPackageGroupName: [registry.modelPackageGroupName], ModelApprovalStatus: ["Approved"] },
      }),
    });

    this.stateMachineArn = stateMachine.arn;
    this.stateMachineName = stateMachine.name;
    this.alertsTopicArn = topic.arn;
    this.logGroupName = logGroup.name;
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
}
