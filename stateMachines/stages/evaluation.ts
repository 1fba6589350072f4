import type { ChoiceCondition } from "../asl";
import { defineStage, intrinsic, report, StageBuilder } from "../builder";
import { SAGEMAKER_RETRY } from "../retries";
import { STATES } from "../states";
import { PIPELINE_BUSY } from "./start";

/** JSONPaths into the model package's metadata, which EvaluateModel wrote at registration. */
export const packageMetadata = (field: string) => `$.modelPackage.CustomerMetadataProperties.${field}`;
const REQUIRED_METADATA = ["modelKey", "manifestKey", "modelVersion", "datasetId", "neoInputUri", "neoDataInputConfig"];

/** The quality gate and the model registry: a training run registers its model, approved or not. */
function evaluateAndRegister(stage: StageBuilder): void {
  const { training, evaluation, registry } = stage.args;
  stage.lambda(STATES.evaluateModel, "evaluateModel", {
    Parameters: {
      "modelDataUrl.$": "$.training.modelDataUrl",
      "trainingJobName.$": "$.training.jobName",
      "datasetId.$": "$.dataset.datasetId",
      minMap50_95: evaluation.minMap50_95,
      maxRegression: evaluation.maxRegression,
      approvalStatus: registry.approvalStatus,
    },
    ResultPath: "$.evaluation",
    Next: STATES.registerModel,
  });
  stage.task(STATES.registerModel, {
    Resource: "arn:aws:states:::aws-sdk:sagemaker:createModelPackage",
    Parameters: {
      ModelPackageGroupName: registry.modelPackageGroupName,
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
}

/** Decide: both modes meet here, with the model package described, and go on only with an approved, usable one. */
function routeModel(stage: StageBuilder): void {
  stage.task(STATES.describeModelPackage, {
    Resource: "arn:aws:states:::aws-sdk:sagemaker:describeModelPackage",
    Parameters: { "ModelPackageName.$": "$.model.packageArn" },
    ResultPath: "$.modelPackage",
    TimeoutSeconds: 60,
    Retry: SAGEMAKER_RETRY,
    Next: STATES.routeModel,
  });
  const registeredAs = packageMetadata("registeredAs");
  stage.state(STATES.routeModel, {
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
          And: REQUIRED_METADATA.map((field): ChoiceCondition => ({
            Variable: packageMetadata(field),
            IsPresent: true,
          })),
        },
        Next: STATES.modelPackageUnusable,
      },
      { Variable: "$.modelPackage.ModelApprovalStatus", StringEquals: "Rejected", Next: STATES.modelRejected },
      {
        Variable: "$.modelPackage.ModelApprovalStatus",
        StringEquals: "PendingManualApproval",
        Next: STATES.awaitingApproval,
      },
      // An approved package whose approval arrived while another run is busy waits for that run in the queue.
      { ...PIPELINE_BUSY, Next: STATES.queueRun },
      { Variable: "$.modelPackage.ModelApprovalStatus", StringEquals: "Approved", Next: STATES.chooseCompilation },
    ],
    Default: STATES.modelPackageUnusable,
  });
  stage.state(STATES.alreadyDeployed, report("skipped"));
  stage.state(STATES.modelRejected, report("rejected"));
  stage.state(STATES.awaitingApproval, report("awaiting-approval"));
  stage.failure(
    STATES.modelPackageUnusable,
    STATES.routeModel,
    { value: "ModelPackageUnusable" },
    intrinsic(
      "States.Format('model package {} is {} or lacks the metadata this pipeline writes at registration (model files, dataset)', $.modelPackage.ModelPackageArn, $.modelPackage.ModelApprovalStatus)",
    ),
  );
}

/** Evaluation and registry: quality gate → model registry → the model package that decides what happens next. */
export const evaluationStage = defineStage(
  {
    name: "Evaluation and registry",
    tasks: [STATES.evaluateModel, STATES.registerModel, STATES.describeModelPackage],
    others: [STATES.routeModel, STATES.modelRejected, STATES.awaitingApproval, STATES.alreadyDeployed],
    failures: [STATES.modelPackageUnusable],
  },
  (stage) => {
    evaluateAndRegister(stage);
    routeModel(stage);
  },
);
