import * as pulumi from "@pulumi/pulumi";
import { DATA_LAKE_PREFIXES } from "../contracts/dataLake";
import { CHAMPION_KEY } from "../lib/models";
import type { PipelineFunction } from "../stateMachines/functions";
import { AccountScope, arnIn, objectsUnder, PolicyStatement } from "./iam";

/**
 * What the pipeline's roles may do: each Lambda function, the state machine, and the role Ground Truth runs labeling
 * jobs as. Every statement has a name, and every Resource "*" says why AWS requires it.
 */
export interface PipelineScope extends AccountScope {
  namePrefix: string;
  bucketArn: pulumi.Input<string>;
}

/** Ground Truth's labeling and verification jobs: read the images, write labeling/ only, log and publish metrics. */
export function labelingRoleStatements(scope: PipelineScope): PolicyStatement[] {
  const { bucketArn } = scope;
  return [
    {
      sid: "ReadImagesAndJobFiles",
      actions: ["s3:GetObject"],
      resources: [
        objectsUnder(bucketArn, DATA_LAKE_PREFIXES.images),
        objectsUnder(bucketArn, DATA_LAKE_PREFIXES.labeling),
      ],
    },
    {
      // Ground Truth writes its output in parts and must be able to abort an upload it gives up on; AWS lists
      // AbortMultipartUpload with GetObject and PutObject as what the execution role needs on the job's buckets
      // (https://docs.aws.amazon.com/sagemaker/latest/dg/sms-security-permissions-get-started.html).
      sid: "WriteJobOutput",
      actions: ["s3:PutObject", "s3:AbortMultipartUpload"],
      resources: [objectsUnder(bucketArn, DATA_LAKE_PREFIXES.labeling)],
    },
    {
      // Ground Truth asks for the region of the buckets it reads and writes (same page).
      sid: "LocateJobBucket",
      actions: ["s3:GetBucketLocation"],
      resources: [bucketArn],
    },
    {
      sid: "ListJobFiles",
      actions: ["s3:ListBucket"],
      resources: [bucketArn],
      conditions: {
        StringLike: { "s3:prefix": [`${DATA_LAKE_PREFIXES.labeling}*`, `${DATA_LAKE_PREFIXES.images}*`] },
      },
    },
    {
      sid: "WriteLabelingLogs",
      actions: ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
      resources: [
        arnIn(scope, "logs", "log-group:/aws/sagemaker/LabelingJobs"),
        arnIn(scope, "logs", "log-group:/aws/sagemaker/LabelingJobs:*"),
      ],
    },
    {
      // PutMetricData has no resource-level permissions: AWS requires Resource "*"; the namespace is pinned.
      sid: "PublishLabelingMetrics",
      actions: ["cloudwatch:PutMetricData"],
      resources: ["*"],
      conditions: { StringEquals: { "cloudwatch:namespace": ["/aws/sagemaker/LabelingJobs"] } },
    },
  ];
}

/**
 * A person who labels with the labeling app (`npm run label`) on their own machine, with their own AWS credentials:
 * read the batch, its images and what others saved; write claims and labels, and the output manifest, under
 * labeling/ only; complete the batch's task token. Nothing else: no Lambda, no SageMaker, no label store.
 */
export function labelerStatements(scope: PipelineScope): PolicyStatement[] {
  const { bucketArn } = scope;
  return [
    {
      sid: "ReadBatchesAndImages",
      actions: ["s3:GetObject"],
      resources: [
        objectsUnder(bucketArn, DATA_LAKE_PREFIXES.images),
        objectsUnder(bucketArn, DATA_LAKE_PREFIXES.labeling),
      ],
    },
    {
      sid: "WriteClaimsAndLabels",
      actions: ["s3:PutObject"],
      resources: [objectsUnder(bucketArn, DATA_LAKE_PREFIXES.labeling)],
    },
    {
      sid: "ListBatchFiles",
      actions: ["s3:ListBucket"],
      resources: [bucketArn],
      conditions: { StringLike: { "s3:prefix": [`${DATA_LAKE_PREFIXES.labeling}*`] } },
    },
    {
      // The callback actions have no resource-level permissions: AWS requires Resource "*". A task token is a
      // secret that only the batch file holds, and only this policy (and the state machine) can read that file.
      sid: "CompleteLabelingBatches",
      actions: ["states:SendTaskSuccess", "states:SendTaskFailure", "states:SendTaskHeartbeat"],
      resources: ["*"],
    },
  ];
}

/** What every function may do: write its own log group and X-Ray traces. */
export function functionBaseStatements(logGroupArn: pulumi.Input<string>): PolicyStatement[] {
  return [
    {
      sid: "WriteOwnLogs",
      actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
      resources: [pulumi.interpolate`${logGroupArn}:*`],
    },
    {
      // X-Ray's write actions have no resource-level permissions: AWS requires Resource "*".
      sid: "WriteTraces",
      actions: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
      resources: ["*"],
    },
  ];
}

export interface FunctionAccessArgs extends PipelineScope {
  featureGroupArn: pulumi.Input<string>;
  stateMachineName: string;
  modelComponentName: string;
  inferenceComponentName: string;
}

/** What each function of the state machine may do beyond writing its own logs and traces. */
export function pipelineFunctionAccess(args: FunctionAccessArgs): Record<PipelineFunction, PolicyStatement[]> {
  const { bucketArn, featureGroupArn } = args;
  const objects = (prefix: string) => objectsUnder(bucketArn, prefix);
  const listUnder = (...prefixes: string[]): PolicyStatement => ({
    sid: "ListObjects",
    actions: ["s3:ListBucket"],
    resources: [bucketArn],
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
    resources: [featureGroupArn],
  };
  const { images, labeling, datasets, models, compiled, components, pending, deviceResults } = DATA_LAKE_PREFIXES;
  // DeleteObjects needs s3:DeleteObject on each key.
  const deletePending: PolicyStatement = {
    sid: "ClearPendingImages",
    actions: ["s3:DeleteObject"],
    resources: [objects(pending)],
  };
  return {
    // Sees whether an earlier run is still going (one run at a time).
    startRun: [
      {
        sid: "ListRunningRuns",
        actions: ["states:ListExecutions"],
        resources: [arnIn(args, "states", `stateMachine:${args.stateMachineName}`)],
      },
    ],
    // Reads the pending index and takes approved images out of it; never lists the whole of images/.
    findUnlabeledImages: [listUnder(pending), write(labeling), deletePending, lookUpLabels],
    prepareLabelingJob: [read(labeling), write(labeling)],
    ingestLabels: [
      read(labeling),
      write(labeling),
      deletePending,
      { sid: "WriteLabels", actions: ["sagemaker:PutRecord"], resources: [featureGroupArn] },
    ],
    buildDataset: [
      listUnder(images),
      // Its files are multipart uploads, which a failed build aborts.
      { sid: "WriteObjects", actions: ["s3:PutObject", "s3:AbortMultipartUpload"], resources: [objects(datasets)] },
      lookUpLabels,
    ],
    // The test split's annotations and images, and the deployed model's files, to compare the two models.
    evaluateModel: [read(models, datasets, images, compiled), write(models)],
    compileOnnx: [read(models, datasets, images), write(compiled)],
    // Each device's latest result, as the IoT rule stores it.
    // The latest results, and the shipped model.json (compiled/ after onnxruntime, models/ beside a Neo archive).
    checkFleetResults: [listUnder(deviceResults), read(deviceResults, compiled, models)],
    createModelComponent: [
      // Copies read the source and write the target; Greengrass reads the artifacts with the caller's rights.
      read(models, compiled, components),
      write(components),
      { sid: "LocateArtifacts", actions: ["s3:GetBucketLocation"], resources: [bucketArn] },
      ...componentVersionStatements(args),
    ],
  };
}

/** Creating, tagging and describing versions of the stack's two Greengrass components, and no others. */
function componentVersionStatements(args: FunctionAccessArgs): PolicyStatement[] {
  const modelComponentArn = arnIn(args, "greengrass", `components:${args.modelComponentName}`);
  const inferenceComponentArn = arnIn(args, "greengrass", `components:${args.inferenceComponentName}`);
  const versions = [
    pulumi.interpolate`${modelComponentArn}:versions:*`,
    pulumi.interpolate`${inferenceComponentArn}:versions:*`,
  ];
  return [
    {
      sid: "CreateComponentVersions",
      actions: ["greengrass:CreateComponentVersion"],
      resources: [modelComponentArn, inferenceComponentArn],
    },
    {
      // Creating a version with tags is also a TagResource call on it.
      sid: "TagComponentVersions",
      actions: ["greengrass:TagResource"],
      resources: [modelComponentArn, inferenceComponentArn, ...versions],
    },
    { sid: "DescribeComponentVersions", actions: ["greengrass:DescribeComponent"], resources: versions },
  ];
}

export interface StarterAccessArgs {
  stateMachineArn: pulumi.Input<string>;
  /** `arn:…:execution:<machine name>:*`: the executions whose history it reads. */
  executionsArn: pulumi.Input<string>;
  bucketArn: pulumi.Input<string>;
  alertsTopicArn: pulumi.Input<string>;
}

/**
 * The trigger starter: it starts runs of the one state machine, and when a run ends it alerts for a run that could
 * not, and starts the run queue's oldest run.
 */
export function starterStatements(args: StarterAccessArgs): PolicyStatement[] {
  const { bucketArn } = args;
  return [
    { sid: "StartRuns", actions: ["states:StartExecution"], resources: [args.stateMachineArn] },
    { sid: "ListRunningRuns", actions: ["states:ListExecutions"], resources: [args.stateMachineArn] },
    { sid: "ReadRunHistory", actions: ["states:GetExecutionHistory"], resources: [args.executionsArn] },
    {
      sid: "ListRunQueue",
      actions: ["s3:ListBucket"],
      resources: [bucketArn],
      conditions: { StringLike: { "s3:prefix": [`${DATA_LAKE_PREFIXES.runQueue}*`] } },
    },
    {
      sid: "TakeFromRunQueue",
      actions: ["s3:GetObject", "s3:DeleteObject"],
      resources: [objectsUnder(bucketArn, DATA_LAKE_PREFIXES.runQueue)],
    },
    { sid: "AlertRunsEndedBadly", actions: ["sns:Publish"], resources: [args.alertsTopicArn] },
  ];
}

/**
 * The new-images trigger: record arriving images in the pending index (write and list `pending/` only), see whether
 * a run is going, start one, and publish its own failures to the alerts topic (its on-failure destination).
 */
export function newImagesStatements(args: {
  bucketArn: pulumi.Input<string>;
  stateMachineArn: pulumi.Input<string>;
  alertsTopicArn: pulumi.Input<string>;
}): PolicyStatement[] {
  const { pending } = DATA_LAKE_PREFIXES;
  return [
    { sid: "RecordPendingImages", actions: ["s3:PutObject"], resources: [objectsUnder(args.bucketArn, pending)] },
    {
      sid: "ListPendingImages",
      actions: ["s3:ListBucket"],
      resources: [args.bucketArn],
      conditions: { StringLike: { "s3:prefix": [`${pending}*`] } },
    },
    { sid: "StartRuns", actions: ["states:StartExecution"], resources: [args.stateMachineArn] },
    { sid: "ListRunningRuns", actions: ["states:ListExecutions"], resources: [args.stateMachineArn] },
    { sid: "AlertOnFailure", actions: ["sns:Publish"], resources: [args.alertsTopicArn] },
  ];
}

export interface StateMachineAccessArgs extends PipelineScope {
  /** The functions it invokes. */
  functionArns: pulumi.Input<string>[];
  modelPackageGroupName: pulumi.Input<string>;
  modelPackageGroupArn: pulumi.Input<string>;
  /** The roles its SageMaker jobs run as. */
  sagemakerRoleArn: pulumi.Input<string>;
  labelingRoleArn: pulumi.Input<string>;
  alertsTopicArn: pulumi.Input<string>;
  thingGroupName: string;
  /** The fleet's core devices (thing names): the only things a deployment may touch. */
  coreDevices: string[];
  /** Who labels: the labeling app's batches, or Ground Truth's jobs. */
  labelingProvider: "builtin" | "groundtruth";
}

/** The state machine: invoke its functions, run the stack's SageMaker jobs, register models, deploy to the fleet. */
export function stateMachineStatements(args: StateMachineAccessArgs): PolicyStatement[] {
  const arn = (service: string, resource: pulumi.Input<string>) => arnIn(args, service, resource);
  const job = (kind: string) => arn("sagemaker", `${kind}/${args.namePrefix}-*`);
  return [
    {
      sid: "InvokePipelineFunctions",
      actions: ["lambda:InvokeFunction"],
      resources: args.functionArns.flatMap((fn) => [fn, pulumi.interpolate`${fn}:*`]),
    },
    args.labelingProvider === "builtin"
      ? {
          // LabelImages writes the labeling app's batch file (with its task token) and waits.
          sid: "WriteLabelingBatches",
          actions: ["s3:PutObject"],
          resources: [objectsUnder(args.bucketArn, DATA_LAKE_PREFIXES.labeling)],
        }
      : {
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
      actions: ["sagemaker:CreateCompilationJob", "sagemaker:DescribeCompilationJob", "sagemaker:StopCompilationJob"],
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
    { sid: "ReadJobTags", actions: ["sagemaker:ListTags"], resources: [job("labeling-job"), job("training-job")] },
    {
      sid: "RegisterModels",
      actions: ["sagemaker:CreateModelPackage", "sagemaker:DescribeModelPackage"],
      resources: [
        args.modelPackageGroupArn,
        arn("sagemaker", pulumi.interpolate`model-package/${args.modelPackageGroupName}/*`),
      ],
    },
    {
      sid: "PassJobRoles",
      actions: ["iam:PassRole"],
      resources: [args.sagemakerRoleArn, args.labelingRoleArn],
      conditions: { StringEquals: { "iam:PassedToService": ["sagemaker.amazonaws.com"] } },
    },
    {
      // .sync learns that a SageMaker job ended from EventBridge rules that Step Functions manages itself. AWS
      // documents the training job's rule, StepFunctionsGetEventsForSageMakerTrainingJobsRule
      // (https://docs.aws.amazon.com/step-functions/latest/dg/sagemaker-iam.html), and publishes no template, hence
      // no rule name, for createLabelingJob.sync: the name we used to grant was our guess. The prefix covers the
      // managed SageMaker rules, whatever the labeling one is called, and no rule of anyone else's.
      sid: "ManageSyncEventRules",
      actions: ["events:PutTargets", "events:PutRule", "events:DescribeRule"],
      resources: [arn("events", "rule/StepFunctionsGetEventsForSageMaker*")],
    },
    ...fleetDeploymentStatements(args),
    { sid: "NotifyFailures", actions: ["sns:Publish"], resources: [args.alertsTopicArn] },
    {
      sid: "QueueRuns",
      actions: ["s3:PutObject"],
      resources: [objectsUnder(args.bucketArn, DATA_LAKE_PREFIXES.runQueue)],
    },
    {
      sid: "RecordChampion",
      actions: ["s3:PutObject"],
      resources: [pulumi.interpolate`${args.bucketArn}/${CHAMPION_KEY}`],
    },
    ...stateMachineTelemetryStatements(),
  ];
}

/** Greengrass deployments to the fleet's thing group, and the IoT jobs and shadows they work through. */
function fleetDeploymentStatements(args: StateMachineAccessArgs): PolicyStatement[] {
  const thingGroupArn = arnIn(args, "iot", `thinggroup/${args.thingGroupName}`);
  const jobs = arnIn(args, "iot", "job/*");
  return [
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
      resources: [arnIn(args, "greengrass", "deployments:*")],
    },
    { sid: "CreateDeploymentJobs", actions: ["iot:CreateJob"], resources: [jobs, thingGroupArn] },
    { sid: "FollowDeploymentJobs", actions: ["iot:DescribeJob", "iot:UpdateJob", "iot:CancelJob"], resources: [jobs] },
    { sid: "ReadFleet", actions: ["iot:DescribeThingGroup"], resources: [thingGroupArn] },
    // The things of the fleet only, not every thing of the account. (The IoT jobs stay job/*: Greengrass gives
    // each deployment's job a generated id, so no narrower name exists.)
    ...(args.coreDevices.length === 0
      ? []
      : [
          {
            sid: "UpdateDeviceShadows",
            actions: ["iot:DescribeThing", "iot:GetThingShadow", "iot:UpdateThingShadow", "iot:DeleteThingShadow"],
            resources: args.coreDevices.map((thing) => arnIn(args, "iot", `thing/${thing}`)),
          },
        ]),
  ];
}

/** The state machine's execution logs and X-Ray traces. */
function stateMachineTelemetryStatements(): PolicyStatement[] {
  return [
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
  ];
}
