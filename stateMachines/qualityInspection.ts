import { DATA_LAKE_PREFIXES } from "../contracts/dataLake";
import { SPLITS } from "../contracts/dataset";
import { MODEL_COMPONENT_VERSION_PREFIX } from "../contracts/modelComponent";
import { PipelineOutcome } from "../contracts/pipelineInput";
import { ERROR_NAMES } from "../lib/errors";
import { LABEL_ATTRIBUTE, VERIFICATION_ATTRIBUTE } from "../lib/labeling";
import { compiledKeys } from "../lib/models";
import type { ChoiceCondition, Json, PassState, Retrier, State, StateMachineDefinition, TaskState } from "./asl";
import { PIPELINE_FUNCTIONS, PipelineFunction } from "./functions";
import { GroundTruthTask, groundTruthLambdas, publicWorkteamArn } from "./groundTruth";
import type { StackConfig } from "../config/schema";

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
    /** A private workteam, or the public Mechanical Turk crowd. */
    workforce: { kind: "private"; workteamArn: string } | { kind: "public" };
    verification: boolean;
  };
  dataset: { minImages: number };
  /** The stack's training settings, the PyTorch image, and the code bundle. */
  training: StackConfig["training"] & {
    image: string;
    /** `s3://…/code/….tar.gz` with train.py (the SageMaker framework container's submit directory). */
    sourceUri: string;
  };
  evaluation: { minMap50_95: number };
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

/** State names; tests and the offline run refer to states through these. */
export const STATES = {
  startRun: "StartRun",
  chooseMode: "ChooseMode",
  findUnlabeledImages: "FindUnlabeledImages",
  anythingToLabel: "AnythingToLabel",
  prepareLabelingJob: "PrepareLabelingJob",
  labelImages: "LabelImages",
  verifyLabels: "VerifyLabels",
  ingestLabels: "IngestLabels",
  buildDataset: "BuildDataset",
  trainModel: "TrainModel",
  evaluateModel: "EvaluateModel",
  registerModel: "RegisterModel",
  describeModelPackage: "DescribeModelPackage",
  routeModel: "RouteModel",
  chooseCompilation: "ChooseCompilation",
  optimiseOnnx: "OptimiseOnnx",
  startNeoCompilation: "StartNeoCompilation",
  waitForNeoCompilation: "WaitForNeoCompilation",
  describeNeoCompilation: "DescribeNeoCompilation",
  neoCompilationDone: "NeoCompilationDone",
  countNeoPoll: "CountNeoPoll",
  useNeoOutput: "UseNeoOutput",
  createModelComponent: "CreateModelComponent",
  createDeployment: "CreateDeployment",
  waitForDeployment: "WaitForDeployment",
  describeDeploymentJob: "DescribeDeploymentJob",
  deploymentDone: "DeploymentDone",
  countDeploymentPoll: "CountDeploymentPoll",
  deployed: "Deployed",
  modelRejected: "ModelRejected",
  awaitingApproval: "AwaitingApproval",
  alreadyDeployed: "AlreadyDeployedByTrainingRun",
  modelPackageUnusable: "ModelPackageUnusable",
  neoCompilationFailed: "NeoCompilationFailed",
  neoCompilationStopped: "NeoCompilationStopped",
  neoCompilationTimedOut: "NeoCompilationTimedOut",
  deploymentFailed: "DeploymentFailed",
  deploymentCanceled: "DeploymentCanceled",
  deploymentTimedOut: "DeploymentTimedOut",
  notifyFailure: "NotifyFailure",
  pipelineFailed: "PipelineFailed",
} as const;

/** The Pass state that turns a Task's caught error into `$.failure`. */
export const failedStateOf = (task: string) => `${task}Failed`;

/** Errors that say nothing about the work itself: Lambda's service hiccups, and AWS SDK calls that ran out of retries. */
export const TRANSIENT_LAMBDA_ERRORS = [
  "Lambda.ServiceException",
  "Lambda.AWSLambdaException",
  "Lambda.SdkClientException",
  "Lambda.TooManyRequestsException",
  "ThrottlingException",
  "SlowDown",
  "ServiceUnavailable",
  "InternalError",
];

const LAMBDA_RETRY: Retrier = {
  ErrorEquals: TRANSIENT_LAMBDA_ERRORS,
  IntervalSeconds: 2,
  MaxAttempts: 6,
  BackoffRate: 2,
  MaxDelaySeconds: 60,
  JitterStrategy: "FULL",
};
/** SageMaker throttling: the optimised integrations report it as AmazonSageMakerException, SDK calls by name. */
const SAGEMAKER_THROTTLING_RETRY: Retrier = {
  ErrorEquals: ["SageMaker.AmazonSageMakerException", "SageMaker.ThrottlingException"],
  IntervalSeconds: 15,
  MaxAttempts: 4,
  BackoffRate: 2,
  JitterStrategy: "FULL",
};
/** Instance quotas free up when other jobs end: wait longer. */
const SAGEMAKER_LIMIT_RETRY: Retrier = {
  ErrorEquals: ["SageMaker.ResourceLimitExceededException"],
  IntervalSeconds: 300,
  MaxAttempts: 3,
  BackoffRate: 2,
  JitterStrategy: "FULL",
};
const SAGEMAKER_RETRY = [SAGEMAKER_THROTTLING_RETRY, SAGEMAKER_LIMIT_RETRY];
const GREENGRASS_RETRY: Retrier = {
  ErrorEquals: [
    "GreengrassV2.ThrottlingException",
    "GreengrassV2.InternalServerException",
    "Iot.ThrottlingException",
    "Iot.ServiceUnavailableException",
    "Iot.InternalFailureException",
  ],
  IntervalSeconds: 5,
  MaxAttempts: 5,
  BackoffRate: 2,
  JitterStrategy: "FULL",
};

/** A labeling task stays with workers this long: up to 10 days for a private team, 12 hours for the public crowd. */
const TASK_AVAILABILITY_SECONDS = { private: 10 * 24 * 3600, public: 12 * 3600 } as const;
/** The public crowd's price per image: USD 0.036, Ground Truth's lowest bounding-box tier. */
const PUBLIC_TASK_PRICE = { AmountInUsd: { Dollars: 0, Cents: 3, TenthFractionsOfACent: 6 } };
/** Metric lines of training/train.py: `metric: <name>=<value>`. */
export const TRAINING_METRICS = [
  "train_loss",
  "validation_map50_95",
  "validation_map50",
  "validation_precision",
  "validation_recall",
  "test_map50_95",
  "test_map50",
  "test_precision",
  "test_recall",
];
const GOLDEN_IMAGES = 4;

/** A value in a failure record: a constant, or a JSONPath / intrinsic function evaluated at run time. */
type Expr = { value: string } | { path: string };
const intrinsic = (expression: string): Expr => ({ path: expression });
const field = (name: string, expr: Expr): Record<string, Json> =>
  "value" in expr ? { [name]: expr.value } : { [`${name}.$`]: expr.path };

/** JSONPaths into the model package's metadata, which EvaluateModel wrote at registration. */
const metadata = (field: string) => `$.modelPackage.CustomerMetadataProperties.${field}`;
const REQUIRED_METADATA = ["modelKey", "manifestKey", "modelVersion", "datasetId", "neoInputUri", "neoDataInputConfig"];

/** Builds the state machine definition: a pure function of its inputs, turned into JSON by the component. */
export function buildPipelineDefinition(args: PipelineDefinitionArgs): StateMachineDefinition {
  const { namePrefix, region, bucketName, labeling, training, compilation, deploy } = args;
  const states: Record<string, State> = {};
  // SageMaker takes tags as a list of Key/Value pairs, Greengrass as a map.
  const sageMakerTags = Object.entries(args.tags).map(([Key, Value]) => ({ Key, Value }));
  const consoleUrl = `https://${region}.console.aws.amazon.com/states/home?region=${region}#/v2/executions/details/{}`;

  /**
   * A failure Pass state: records the failed state, the error and the cause in `$.failure` (each a constant, a JSONPath
   * or an intrinsic function), then notifies.
   */
  function failure(name: string, state: string, error: Expr, cause: Expr): void {
    states[name] = {
      Type: "Pass",
      Parameters: {
        state,
        ...field("error", error),
        ...field("cause", cause),
        "execution.$": "$$.Execution.Id",
        "console.$": `States.Format('${consoleUrl}', $$.Execution.Id)`,
      },
      ResultPath: "$.failure",
      Next: STATES.notifyFailure,
    };
  }

  /**
   * A Task with its timeout, retries and the Catch every Task has: the error goes to `catchInto`, a failure Pass state
   * describes it, the run notifies and fails.
   */
  function task(name: string, definition: Omit<TaskState, "Type" | "Catch">, catchInto = "$.caught"): void {
    states[name] = {
      Type: "Task",
      ...definition,
      // ResultPath "$" is spelled by omission: Step Functions' default, and what aws-local-stepfunctions understands.
      Catch: [
        {
          ErrorEquals: ["States.ALL"],
          ...(catchInto === "$" ? {} : { ResultPath: catchInto }),
          Next: failedStateOf(name),
        },
      ],
    };
    failure(failedStateOf(name), name, { path: `${catchInto}.Error` }, { path: `${catchInto}.Cause` });
  }

  function lambda(
    name: string,
    fn: PipelineFunction,
    definition: { Parameters: Record<string, Json>; ResultPath?: string; Next: string; Retry?: Retrier[] },
    catchInto?: string,
  ): void {
    task(
      name,
      {
        Resource: args.functions[fn],
        TimeoutSeconds: PIPELINE_FUNCTIONS[fn].timeoutSeconds + 60,
        ...definition,
        Retry: [LAMBDA_RETRY, ...(definition.Retry ?? [])],
      },
      catchInto,
    );
  }

  const report = (outcome: PipelineOutcome): PassState => ({
    Type: "Pass",
    Result: outcome,
    ResultPath: "$.outcome",
    End: true,
  });

  // --- Start: validate the input, name the run's jobs, choose the path.
  lambda(
    STATES.startRun,
    "startRun",
    {
      Parameters: {
        "input.$": "$",
        execution: { "name.$": "$$.Execution.Name", "startTime.$": "$$.Execution.StartTime" },
        "stateMachineArn.$": "$$.StateMachine.Id",
        settings: {
          namePrefix,
          modelPackageGroupName: args.registry.modelPackageGroupName,
          compilationTarget: compilation.target,
        },
      },
      // No ResultPath: the result replaces the raw input (the default, "$").
      Next: STATES.chooseMode,
    },
    // The input may not even be an object, so StartRun's error replaces the state instead of joining it.
    "$",
  );

  states[STATES.chooseMode] = {
    Type: "Choice",
    Choices: [
      { Variable: "$.run.mode", StringEquals: "deploy", Next: STATES.describeModelPackage },
      { Variable: "$.run.skipLabeling", BooleanEquals: true, Next: STATES.buildDataset },
    ],
    Default: STATES.findUnlabeledImages,
  };

  // --- Label: new images → Ground Truth → label store.
  lambda(STATES.findUnlabeledImages, "findUnlabeledImages", {
    Parameters: {
      "imagesPrefix.$": "$.run.imagesPrefix",
      maxImages: labeling.maxImagesPerJob,
      "labelingJobName.$": "$.run.names.labelingJob",
    },
    ResultPath: "$.unlabeled",
    Next: STATES.anythingToLabel,
  });
  states[STATES.anythingToLabel] = {
    Type: "Choice",
    Choices: [{ Variable: "$.unlabeled.selected", NumericGreaterThan: 0, Next: STATES.prepareLabelingJob }],
    Default: STATES.buildDataset,
  };
  lambda(STATES.prepareLabelingJob, "prepareLabelingJob", {
    Parameters: {
      "labelingJobName.$": "$.run.names.labelingJob",
      "selectionKey.$": "$.unlabeled.selectionKey",
      classes: labeling.classes,
      verification: labeling.verification,
    },
    ResultPath: "$.labelingJob",
    Next: STATES.labelImages,
  });

  const isPublic = labeling.workforce.kind === "public";
  const workteamArn = labeling.workforce.kind === "public" ? publicWorkteamArn(region) : labeling.workforce.workteamArn;
  const labelingJob = (kind: GroundTruthTask, paths: Record<string, string>, title: string, description: string) => {
    const lambdas = groundTruthLambdas(region, kind);
    return {
      "LabelingJobName.$": paths.jobName,
      LabelAttributeName: kind === "BoundingBox" ? LABEL_ATTRIBUTE : VERIFICATION_ATTRIBUTE,
      InputConfig: {
        DataSource: { S3DataSource: { "ManifestS3Uri.$": paths.manifest } },
        ...(isPublic
          ? {
              DataAttributes: { ContentClassifiers: ["FreeOfPersonallyIdentifiableInformation", "FreeOfAdultContent"] },
            }
          : {}),
      },
      OutputConfig: { "S3OutputPath.$": paths.output },
      RoleArn: args.roles.labeling,
      "LabelCategoryConfigS3Uri.$": paths.categories,
      HumanTaskConfig: {
        WorkteamArn: workteamArn,
        UiConfig: { "UiTemplateS3Uri.$": paths.template },
        PreHumanTaskLambdaArn: lambdas.preHumanTask,
        TaskTitle: title,
        TaskDescription: description,
        TaskKeywords: ["image", "bounding box", "quality inspection"],
        NumberOfHumanWorkersPerDataObject: 1,
        TaskTimeLimitInSeconds: 600,
        TaskAvailabilityLifetimeInSeconds: TASK_AVAILABILITY_SECONDS[isPublic ? "public" : "private"],
        MaxConcurrentTaskCount: 1000,
        AnnotationConsolidationConfig: { AnnotationConsolidationLambdaArn: lambdas.annotationConsolidation },
        ...(isPublic ? { PublicWorkforceTaskPrice: PUBLIC_TASK_PRICE } : {}),
      },
      Tags: sageMakerTags,
    };
  };
  const labelingSelector = {
    "outputManifestUri.$": "$.LabelingJobOutput.OutputDatasetS3Uri",
    "counters.$": "$.LabelCounters",
    "jobArn.$": "$.LabelingJobArn",
  };
  // Humans take their time: the task lifetime, plus a day for stragglers and consolidation.
  const labelingTimeout = TASK_AVAILABILITY_SECONDS[isPublic ? "public" : "private"] + 24 * 3600;
  task(STATES.labelImages, {
    Resource: "arn:aws:states:::sagemaker:createLabelingJob.sync",
    Parameters: labelingJob(
      "BoundingBox",
      {
        jobName: "$.run.names.labelingJob",
        manifest: "$.labelingJob.manifestUri",
        output: "$.labelingJob.outputUri",
        categories: "$.labelingJob.categoriesUri",
        template: "$.labelingJob.uiTemplateUri",
      },
      "Mark defects on machined parts",
      `Draw a box around every defect (${labeling.classes.join(", ")}) on photos of metal parts.`,
    ),
    ResultSelector: labelingSelector,
    ResultPath: "$.labeling",
    TimeoutSeconds: labelingTimeout,
    Retry: SAGEMAKER_RETRY,
    Next: labeling.verification ? STATES.verifyLabels : STATES.ingestLabels,
  });
  if (labeling.verification) {
    task(STATES.verifyLabels, {
      Resource: "arn:aws:states:::sagemaker:createLabelingJob.sync",
      Parameters: labelingJob(
        "VerificationBoundingBox",
        {
          jobName: "$.run.names.verificationJob",
          manifest: "$.labeling.outputManifestUri",
          output: "$.labelingJob.verification.outputUri",
          categories: "$.labelingJob.verification.categoriesUri",
          template: "$.labelingJob.verification.uiTemplateUri",
        },
        "Check defect boxes on machined parts",
        "Say whether the boxes mark every defect, and only defects.",
      ),
      ResultSelector: labelingSelector,
      ResultPath: "$.verification",
      TimeoutSeconds: labelingTimeout,
      Retry: SAGEMAKER_RETRY,
      Next: STATES.ingestLabels,
    });
  }
  lambda(STATES.ingestLabels, "ingestLabels", {
    Parameters: {
      "manifestUri.$": labeling.verification ? "$.verification.outputManifestUri" : "$.labeling.outputManifestUri",
      "labelingJobName.$": "$.run.names.labelingJob",
      classes: labeling.classes,
      verified: labeling.verification,
    },
    ResultPath: "$.ingest",
    // Ingestion is idempotent, so a label store that kept throttling is simply asked again later.
    Retry: [
      {
        ErrorEquals: [ERROR_NAMES.labelStoreThrottled],
        IntervalSeconds: 30,
        MaxAttempts: 3,
        BackoffRate: 2,
        JitterStrategy: "FULL",
      },
    ],
    Next: STATES.buildDataset,
  });

  // --- Train: dataset → training job → quality gate → model registry.
  lambda(STATES.buildDataset, "buildDataset", {
    Parameters: { "datasetId.$": "$.run.names.dataset", classes: labeling.classes, minImages: args.dataset.minImages },
    ResultPath: "$.dataset",
    Next: STATES.trainModel,
  });
  task(STATES.trainModel, {
    Resource: "arn:aws:states:::sagemaker:createTrainingJob.sync",
    Parameters: {
      "TrainingJobName.$": "$.run.names.trainingJob",
      AlgorithmSpecification: {
        TrainingImage: training.image,
        TrainingInputMode: "File",
        MetricDefinitions: TRAINING_METRICS.map((metric) => ({
          Name: metric,
          Regex: `metric: ${metric}=([-+0-9.eE]+)`,
        })),
        EnableSageMakerMetricsTimeSeries: true,
      },
      // The framework container passes these to train.py as --name value (sagemaker_* ones configure the container).
      HyperParameters: {
        epochs: String(training.epochs),
        "batch-size": String(training.batchSize),
        "image-size": String(training.imageSize),
        seed: String(training.seed),
        "score-threshold": String(training.scoreThreshold),
        "class-names.$": "$.dataset.classNames",
        sagemaker_program: "train.py",
        sagemaker_submit_directory: training.sourceUri,
        sagemaker_region: region,
        sagemaker_container_log_level: "20",
      },
      InputDataConfig: SPLITS.map((split) => ({
        ChannelName: split,
        InputMode: "File",
        DataSource: {
          S3DataSource: {
            S3DataType: "ManifestFile",
            [`S3Uri.$`]: `$.dataset.channels.${split}`,
            S3DataDistributionType: "FullyReplicated",
          },
        },
      })),
      OutputDataConfig: { S3OutputPath: `s3://${bucketName}/${DATA_LAKE_PREFIXES.models}` },
      ResourceConfig: { InstanceType: training.instanceType, InstanceCount: 1, VolumeSizeInGB: 30 },
      StoppingCondition: { MaxRuntimeInSeconds: training.maxRuntimeSeconds },
      RoleArn: args.roles.sagemaker,
      Tags: sageMakerTags,
    },
    ResultSelector: { "jobName.$": "$.TrainingJobName", "modelDataUrl.$": "$.ModelArtifacts.S3ModelArtifacts" },
    ResultPath: "$.training",
    // The job's own limit, plus an hour for provisioning, download and upload.
    TimeoutSeconds: training.maxRuntimeSeconds + 3600,
    Retry: SAGEMAKER_RETRY,
    Next: STATES.evaluateModel,
  });
  lambda(STATES.evaluateModel, "evaluateModel", {
    Parameters: {
      "modelDataUrl.$": "$.training.modelDataUrl",
      "trainingJobName.$": "$.training.jobName",
      "datasetId.$": "$.dataset.datasetId",
      minMap50_95: args.evaluation.minMap50_95,
      approvalStatus: args.registry.approvalStatus,
    },
    ResultPath: "$.evaluation",
    Next: STATES.registerModel,
  });
  task(STATES.registerModel, {
    Resource: "arn:aws:states:::aws-sdk:sagemaker:createModelPackage",
    Parameters: {
      ModelPackageGroupName: args.registry.modelPackageGroupName,
      "ModelPackageDescription.$": "$.evaluation.reason",
      "ModelApprovalStatus.$": "$.evaluation.approvalStatus",
      InferenceSpecification: {
        Containers: [{ Image: training.image, "ModelDataUrl.$": "$.training.modelDataUrl" }],
        SupportedContentTypes: ["image/jpeg", "image/png"],
        SupportedResponseMIMETypes: ["application/json"],
      },
      ModelMetrics: {
        ModelQuality: { Statistics: { ContentType: "application/json", "S3Uri.$": "$.evaluation.evaluationUri" } },
      },
      "CustomerMetadataProperties.$": "$.evaluation.metadata",
      // Makes a retried registration return the first package instead of a second one.
      "ClientToken.$": "$.run.names.modelPackageToken",
      // No Tags: a package in a group carries the group's tags, and AWS refuses Tags alongside ModelPackageGroupName.
    },
    ResultSelector: { "packageArn.$": "$.ModelPackageArn" },
    ResultPath: "$.model",
    TimeoutSeconds: 60,
    Retry: SAGEMAKER_RETRY,
    Next: STATES.describeModelPackage,
  });

  // --- Decide: both modes meet here, with the model package described.
  task(STATES.describeModelPackage, {
    Resource: "arn:aws:states:::aws-sdk:sagemaker:describeModelPackage",
    Parameters: { "ModelPackageName.$": "$.model.packageArn" },
    ResultPath: "$.modelPackage",
    TimeoutSeconds: 60,
    Retry: SAGEMAKER_RETRY,
    Next: STATES.routeModel,
  });
  const registeredAs = metadata("registeredAs");
  states[STATES.routeModel] = {
    Type: "Choice",
    Choices: [
      {
        // The training run that registered an approved model deploys it itself; its approval event needs no run.
        And: [
          { Variable: "$.run.trigger", StringEquals: "model-approved" },
          { Variable: registeredAs, IsPresent: true },
          { Variable: registeredAs, StringEquals: "Approved" },
        ],
        Next: STATES.alreadyDeployed,
      },
      {
        Not: {
          And: REQUIRED_METADATA.map((field): ChoiceCondition => ({ Variable: metadata(field), IsPresent: true })),
        },
        Next: STATES.modelPackageUnusable,
      },
      { Variable: "$.modelPackage.ModelApprovalStatus", StringEquals: "Rejected", Next: STATES.modelRejected },
      {
        Variable: "$.modelPackage.ModelApprovalStatus",
        StringEquals: "PendingManualApproval",
        Next: STATES.awaitingApproval,
      },
      { Variable: "$.modelPackage.ModelApprovalStatus", StringEquals: "Approved", Next: STATES.chooseCompilation },
    ],
    Default: STATES.modelPackageUnusable,
  };
  states[STATES.alreadyDeployed] = report("skipped");
  states[STATES.modelRejected] = report("rejected");
  states[STATES.awaitingApproval] = report("awaiting-approval");
  failure(
    STATES.modelPackageUnusable,
    STATES.routeModel,
    { value: "ModelPackageUnusable" },
    intrinsic(
      "States.Format('model package {} is {} or lacks the metadata this pipeline writes at registration (model files, dataset)', $.modelPackage.ModelPackageArn, $.modelPackage.ModelApprovalStatus)",
    ),
  );

  // --- Compile: onnxruntime optimisation in a Lambda, or a Neo compilation job polled until it ends.
  states[STATES.chooseCompilation] = {
    Type: "Choice",
    Choices: [{ Variable: "$.run.compilationTarget", StringEquals: "onnx", Next: STATES.optimiseOnnx }],
    Default: STATES.startNeoCompilation,
  };
  lambda(STATES.optimiseOnnx, "compileOnnx", {
    Parameters: {
      "modelKey.$": metadata("modelKey"),
      "manifestKey.$": metadata("manifestKey"),
      "modelVersion.$": metadata("modelVersion"),
      "datasetId.$": metadata("datasetId"),
      goldenImages: GOLDEN_IMAGES,
    },
    ResultPath: "$.compiled",
    Next: STATES.createModelComponent,
  });
  const neoBudget = Math.min(Math.max(compilation.pollIntervalSeconds * compilation.maxPolls, 60), 86_400);
  task(STATES.startNeoCompilation, {
    Resource: "arn:aws:states:::aws-sdk:sagemaker:createCompilationJob",
    Parameters: {
      "CompilationJobName.$": "$.run.names.compilationJob",
      RoleArn: args.roles.sagemaker,
      InputConfig: {
        "S3Uri.$": metadata("neoInputUri"),
        "DataInputConfig.$": metadata("neoDataInputConfig"),
        Framework: "ONNX",
      },
      OutputConfig: {
        // The model version fills the {} of the compiled-model layout.
        "S3OutputLocation.$": `States.Format('s3://${bucketName}/${compiledKeys("{}").neo}', ${metadata("modelVersion")})`,
        TargetDevice: compilation.target,
      },
      // Neo stops the job itself when the polling budget runs out, so a timed-out run leaves nothing running.
      StoppingCondition: { MaxRuntimeInSeconds: neoBudget },
      Tags: sageMakerTags,
    },
    ResultSelector: { "jobArn.$": "$.CompilationJobArn", polls: { n: 1 } },
    ResultPath: "$.neo",
    TimeoutSeconds: 60,
    Retry: SAGEMAKER_RETRY,
    Next: STATES.waitForNeoCompilation,
  });
  states[STATES.waitForNeoCompilation] = {
    Type: "Wait",
    Seconds: compilation.pollIntervalSeconds,
    Next: STATES.describeNeoCompilation,
  };
  task(STATES.describeNeoCompilation, {
    Resource: "arn:aws:states:::aws-sdk:sagemaker:describeCompilationJob",
    Parameters: { "CompilationJobName.$": "$.run.names.compilationJob" },
    ResultPath: "$.neo.job",
    TimeoutSeconds: 60,
    Retry: SAGEMAKER_RETRY,
    Next: STATES.neoCompilationDone,
  });
  const neoStatus = "$.neo.job.CompilationJobStatus";
  states[STATES.neoCompilationDone] = {
    Type: "Choice",
    Choices: [
      { Variable: neoStatus, StringEquals: "COMPLETED", Next: STATES.useNeoOutput },
      {
        And: [
          { Variable: neoStatus, StringEquals: "FAILED" },
          { Variable: "$.neo.job.FailureReason", IsPresent: true },
        ],
        Next: STATES.neoCompilationFailed,
      },
      {
        Or: ["FAILED", "STOPPED", "STOPPING"].map((status): ChoiceCondition => ({
          Variable: neoStatus,
          StringEquals: status,
        })),
        Next: STATES.neoCompilationStopped,
      },
      {
        Variable: "$.neo.polls.n",
        NumericGreaterThanEquals: compilation.maxPolls,
        Next: STATES.neoCompilationTimedOut,
      },
    ],
    Default: STATES.countNeoPoll,
  };
  states[STATES.countNeoPoll] = {
    Type: "Pass",
    Parameters: { "n.$": "States.MathAdd($.neo.polls.n, 1)" },
    ResultPath: "$.neo.polls",
    Next: STATES.waitForNeoCompilation,
  };
  states[STATES.useNeoOutput] = {
    Type: "Pass",
    Comment: "The device runs model.onnx with onnxruntime; the Neo archive travels with it for DLR runtimes",
    Parameters: {
      "modelKey.$": metadata("modelKey"),
      "manifestKey.$": metadata("manifestKey"),
      "extraArtifactUris.$": "States.Array($.neo.job.ModelArtifacts.S3ModelArtifacts)",
    },
    ResultPath: "$.compiled",
    Next: STATES.createModelComponent,
  };
  failure(
    STATES.neoCompilationFailed,
    STATES.describeNeoCompilation,
    { value: "NeoCompilationFailed" },
    intrinsic(
      "States.Format('Neo compilation job {} failed: {}', $.run.names.compilationJob, $.neo.job.FailureReason)",
    ),
  );
  failure(
    STATES.neoCompilationStopped,
    STATES.describeNeoCompilation,
    { value: "NeoCompilationFailed" },
    intrinsic(
      "States.Format('Neo compilation job {} ended as {}', $.run.names.compilationJob, $.neo.job.CompilationJobStatus)",
    ),
  );
  failure(
    STATES.neoCompilationTimedOut,
    STATES.describeNeoCompilation,
    { value: "NeoCompilationTimedOut" },
    intrinsic(
      `States.Format('Neo compilation job {} was still {} after {} checks ${compilation.pollIntervalSeconds} s apart', $.run.names.compilationJob, $.neo.job.CompilationJobStatus, $.neo.polls.n)`,
    ),
  );

  // --- Deploy: model component version → deployment to the fleet → wait for every device.
  lambda(STATES.createModelComponent, "createModelComponent", {
    Parameters: {
      componentName: deploy.modelComponentName,
      // modelComponentVersion (contracts/modelComponent.ts), in ASL.
      "componentVersion.$": `States.Format('${MODEL_COMPONENT_VERSION_PREFIX}{}', $.modelPackage.ModelPackageVersion)`,
      "modelPackageArn.$": "$.modelPackage.ModelPackageArn",
      "modelVersion.$": metadata("modelVersion"),
      "modelKey.$": "$.compiled.modelKey",
      "manifestKey.$": "$.compiled.manifestKey",
      "extraArtifactUris.$": "$.compiled.extraArtifactUris",
      inference: {
        componentName: deploy.inferenceComponent.name,
        componentVersion: deploy.inferenceComponent.version,
        recipeKey: deploy.inferenceComponent.recipeKey,
      },
      tags: args.tags,
    },
    ResultPath: "$.component",
    Retry: [{ ErrorEquals: [ERROR_NAMES.componentNotReady], IntervalSeconds: 10, MaxAttempts: 6, BackoffRate: 1.5 }],
    Next: STATES.createDeployment,
  });
  const deployBudgetMinutes = Math.ceil((deploy.pollIntervalSeconds * deploy.maxPolls) / 60);
  task(STATES.createDeployment, {
    Resource: "arn:aws:states:::aws-sdk:greengrassv2:createDeployment",
    Parameters: {
      TargetArn: deploy.thingGroupArn,
      DeploymentName: `${namePrefix}-fleet`,
      Components: {
        [deploy.modelComponentName]: { "ComponentVersion.$": "$.component.componentVersion" },
        [deploy.inferenceComponent.name]: { ComponentVersion: deploy.inferenceComponent.version },
      },
      DeploymentPolicies: {
        // A device that cannot run the new model goes back to the components it ran before.
        FailureHandlingPolicy: "ROLLBACK",
        ComponentUpdatePolicy: { Action: "NOTIFY_COMPONENTS", TimeoutInSeconds: 60 },
        ConfigurationValidationPolicy: { TimeoutInSeconds: 60 },
      },
      // A device still busy when the run stops waiting is marked TIMED_OUT instead of staying in progress forever.
      IotJobConfiguration: { TimeoutConfig: { InProgressTimeoutInMinutes: deployBudgetMinutes } },
      "ClientToken.$": "$.run.names.deploymentToken",
      Tags: args.tags,
    },
    ResultSelector: { "deploymentId.$": "$.DeploymentId", "iotJobId.$": "$.IotJobId", polls: { n: 1 } },
    ResultPath: "$.deployment",
    TimeoutSeconds: 60,
    Retry: [GREENGRASS_RETRY],
    Next: STATES.waitForDeployment,
  });
  states[STATES.waitForDeployment] = {
    Type: "Wait",
    Seconds: deploy.pollIntervalSeconds,
    Next: STATES.describeDeploymentJob,
  };
  // Thing-group deployments are continuous and never "complete"; the IoT job behind them counts devices per state.
  task(STATES.describeDeploymentJob, {
    Resource: "arn:aws:states:::aws-sdk:iot:describeJob",
    Parameters: { "JobId.$": "$.deployment.iotJobId" },
    ResultSelector: { "status.$": "$.Job.Status", "devices.$": "$.Job.JobProcessDetails" },
    ResultPath: "$.deployment.job",
    TimeoutSeconds: 60,
    Retry: [GREENGRASS_RETRY],
    Next: STATES.deploymentDone,
  });
  const devices = (state: string) => `$.deployment.job.devices.NumberOf${state}Things`;
  const some = (state: string): ChoiceCondition => ({
    And: [
      { Variable: devices(state), IsPresent: true },
      { Variable: devices(state), NumericGreaterThan: 0 },
    ],
  });
  const none = (state: string): ChoiceCondition => ({
    Or: [{ Not: { Variable: devices(state), IsPresent: true } }, { Variable: devices(state), NumericEquals: 0 }],
  });
  states[STATES.deploymentDone] = {
    Type: "Choice",
    Choices: [
      { Or: [some("Failed"), some("Rejected"), some("TimedOut")], Next: STATES.deploymentFailed },
      {
        Or: ["CANCELED", "DELETION_IN_PROGRESS"].map((status): ChoiceCondition => ({
          Variable: "$.deployment.job.status",
          StringEquals: status,
        })),
        Next: STATES.deploymentCanceled,
      },
      { And: [some("Succeeded"), none("InProgress"), none("Queued")], Next: STATES.deployed },
      { Variable: "$.deployment.polls.n", NumericGreaterThanEquals: deploy.maxPolls, Next: STATES.deploymentTimedOut },
    ],
    Default: STATES.countDeploymentPoll,
  };
  states[STATES.countDeploymentPoll] = {
    Type: "Pass",
    Parameters: { "n.$": "States.MathAdd($.deployment.polls.n, 1)" },
    ResultPath: "$.deployment.polls",
    Next: STATES.waitForDeployment,
  };
  states[STATES.deployed] = report("deployed");
  failure(
    STATES.deploymentFailed,
    STATES.describeDeploymentJob,
    { value: "DeploymentFailed" },
    intrinsic(
      "States.Format('deployment {} failed on the fleet (the devices rolled back): {}', $.deployment.deploymentId, States.JsonToString($.deployment.job.devices))",
    ),
  );
  failure(
    STATES.deploymentCanceled,
    STATES.describeDeploymentJob,
    { value: "DeploymentCanceled" },
    intrinsic(
      "States.Format('deployment {} was replaced or canceled (IoT job {}) before every device finished', $.deployment.deploymentId, $.deployment.job.status)",
    ),
  );
  failure(
    STATES.deploymentTimedOut,
    STATES.describeDeploymentJob,
    { value: "DeploymentTimedOut" },
    intrinsic(
      `States.Format('deployment {} was not finished on every device after {} checks ${deploy.pollIntervalSeconds} s apart: {}', $.deployment.deploymentId, $.deployment.polls.n, States.JsonToString($.deployment.job.devices))`,
    ),
  );

  // --- Fail: one notification, then the run fails with the failed state's error.
  states[STATES.notifyFailure] = {
    Type: "Task",
    Resource: "arn:aws:states:::sns:publish",
    Parameters: {
      TopicArn: args.alertsTopicArn,
      "Subject.$": `States.Format('[${namePrefix}] quality-inspection run failed in {}', $.failure.state)`,
      // An object Message is sent as its JSON text (States.JsonToString would do the same in AWS, but
      // aws-local-stepfunctions drops the escapes of nested quotes, and causes are often JSON themselves).
      "Message.$": "$.failure",
    },
    ResultPath: null,
    TimeoutSeconds: 60,
    Retry: [{ ErrorEquals: ["States.ALL"], IntervalSeconds: 5, MaxAttempts: 3, BackoffRate: 2 }],
    // A failed notification must not hide the failure itself.
    Catch: [{ ErrorEquals: ["States.ALL"], ResultPath: "$.notificationError", Next: STATES.pipelineFailed }],
    Next: STATES.pipelineFailed,
  };
  states[STATES.pipelineFailed] = { Type: "Fail", ErrorPath: "$.failure.error", CausePath: "$.failure.cause" };

  return {
    Comment: `${namePrefix}: label new images, train, gate, compile and deploy the scratch detector`,
    StartAt: STATES.startRun,
    States: states,
  };
}
