import { ERROR_NAMES } from "../../lib/errors";
import { LABEL_ATTRIBUTE, labelingJobKeys, VERIFICATION_ATTRIBUTE } from "../../lib/labeling";
import type { Json } from "../asl";
import { defineStage, StageBuilder } from "../builder";
import { GroundTruthTask, groundTruthLambdas, publicWorkteamArn } from "../groundTruth";
import { followCatcher, followDeclaration, followJob } from "../followJob";
import { SAGEMAKER_CREATE_RETRY, SAGEMAKER_RETRY } from "../retries";
import { STATES } from "../states";

/** A labeling task stays with workers this long: up to 10 days for a private team, 12 hours for the public crowd. */
const TASK_AVAILABILITY_SECONDS = { private: 10 * 24 * 3600, public: 12 * 3600 } as const;
/** The public crowd's price per image: USD 0.036, Ground Truth's lowest bounding-box tier. */
const PUBLIC_TASK_PRICE = { AmountInUsd: { Dollars: 0, Cents: 3, TenthFractionsOfACent: 6 } };

/** JSONPaths of a Ground Truth job's inputs and outputs in the run's state. */
interface LabelingJobPaths {
  jobName: string;
  manifest: string;
  output: string;
  categories: string;
  template: string;
}

/** A createLabelingJob request: bounding boxes drawn by the workforce, or their verification. */
function labelingJob(
  stage: StageBuilder,
  kind: GroundTruthTask,
  paths: LabelingJobPaths,
  title: string,
  description: string,
): Record<string, Json> {
  const { region, labeling, roles } = stage.args;
  const { workforce } = labeling;
  if (workforce.kind === "none") throw new Error("[labeling] Ground Truth needs a workforce (labeling.provider)");
  const isPublic = workforce.kind === "public";
  const workteamArn = workforce.kind === "public" ? publicWorkteamArn(region) : workforce.workteamArn;
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
    RoleArn: roles.labeling,
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
    Tags: stage.sageMakerTags,
  };
}

const labelingSelector = {
  "outputManifestUri.$": "$.LabelingJobOutput.OutputDatasetS3Uri",
  "counters.$": "$.LabelCounters",
  "jobArn.$": "$.LabelingJobArn",
};

/** The Ground Truth jobs: workers draw boxes, and (where the stack asks for it) other workers check them. */
function groundTruthJobs(stage: StageBuilder): void {
  const { labeling } = stage.args;
  // Humans take their time: the task lifetime, plus a day for stragglers and consolidation.
  const labelingTimeout =
    TASK_AVAILABILITY_SECONDS[labeling.workforce.kind === "public" ? "public" : "private"] + 24 * 3600;
  stage.task(STATES.labelImages, {
    Resource: "arn:aws:states:::sagemaker:createLabelingJob.sync",
    Parameters: labelingJob(
      stage,
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
    Retry: SAGEMAKER_CREATE_RETRY,
    Catch: [followCatcher(STATES.labelImages)],
    Next: labeling.verification ? STATES.verifyLabels : STATES.ingestLabels,
  });
  followLabelingJob(
    stage,
    STATES.labelImages,
    "$.run.names.labelingJob",
    "$.labeling",
    labelingTimeout,
    labeling.verification ? STATES.verifyLabels : STATES.ingestLabels,
  );
  if (!labeling.verification) return;
  stage.task(STATES.verifyLabels, {
    Resource: "arn:aws:states:::sagemaker:createLabelingJob.sync",
    Parameters: labelingJob(
      stage,
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
    Retry: SAGEMAKER_CREATE_RETRY,
    Catch: [followCatcher(STATES.verifyLabels)],
    Next: STATES.ingestLabels,
  });
  followLabelingJob(
    stage,
    STATES.verifyLabels,
    "$.run.names.verificationJob",
    "$.verification",
    labelingTimeout,
    STATES.ingestLabels,
  );
}

/**
 * The labeling app's batch (labeling.provider=builtin): the state writes the batch file with its task token and waits
 * until a person's app sends the batch result (SendTaskSuccess) or rejects the batch (SendTaskFailure). The app keeps
 * the heartbeat while people label; a batch no one touches fails the run with States.HeartbeatTimeout.
 */
function builtinBatch(stage: StageBuilder): void {
  const { bucketName, labeling } = stage.args;
  stage.task(STATES.labelImages, {
    Resource: "arn:aws:states:::aws-sdk:s3:putObject.waitForTaskToken",
    Parameters: {
      Bucket: bucketName,
      "Key.$": `States.Format('${labelingJobKeys("{}").batch}', $.run.names.labelingJob)`,
      ContentType: "application/json",
      Body: {
        "taskToken.$": "$$.Task.Token",
        "jobName.$": "$.run.names.labelingJob",
        "manifestUri.$": "$.labelingJob.manifestUri",
        "categoriesUri.$": "$.labelingJob.categoriesUri",
        "outputUri.$": "$.labelingJob.outputUri",
        "execution.$": "$$.Execution.Id",
      },
    },
    HeartbeatSeconds: labeling.builtin.heartbeatSeconds,
    TimeoutSeconds: labeling.builtin.timeoutSeconds,
    ResultPath: "$.labeling",
    Next: STATES.ingestLabels,
  });
}

/** A labeling job an earlier attempt of `task` created, followed hourly (people take days) while the Task would wait. */
function followLabelingJob(
  stage: StageBuilder,
  task: string,
  namePath: string,
  resultPath: string,
  timeoutSeconds: number,
  next: string,
): void {
  followJob(stage, {
    task,
    describeResource: "arn:aws:states:::aws-sdk:sagemaker:describeLabelingJob",
    nameParameter: "LabelingJobName",
    namePath,
    statusField: "LabelingJobStatus",
    completed: "Completed",
    failed: ["Failed", "Stopped"],
    resultSelector: labelingSelector,
    resultPath,
    next,
    pollIntervalSeconds: 3600,
    maxPolls: Math.ceil(timeoutSeconds / 3600),
    retry: SAGEMAKER_RETRY,
  });
}

const followLabels = followDeclaration(STATES.labelImages);
const followVerify = followDeclaration(STATES.verifyLabels);

/** Labeling: new images → the labeling app or Ground Truth → label store. */
export const labelingStage = defineStage(
  {
    name: "Labeling",
    tasks: [
      STATES.prepareLabelingJob,
      STATES.labelImages,
      ...followLabels.tasks,
      STATES.verifyLabels,
      ...followVerify.tasks,
      STATES.ingestLabels,
    ],
    others: [...followLabels.others, ...followVerify.others],
    failures: [...followLabels.failures, ...followVerify.failures],
  },
  (stage) => {
    const { labeling } = stage.args;
    stage.lambda(STATES.prepareLabelingJob, "prepareLabelingJob", {
      Parameters: {
        "labelingJobName.$": "$.run.names.labelingJob",
        "selectionKey.$": "$.unlabeled.selectionKey",
        classes: labeling.classes,
        verification: labeling.verification,
      },
      ResultPath: "$.labelingJob",
      Next: STATES.labelImages,
    });
    if (labeling.provider === "builtin") builtinBatch(stage);
    else groundTruthJobs(stage);
    stage.lambda(STATES.ingestLabels, "ingestLabels", {
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
  },
);
