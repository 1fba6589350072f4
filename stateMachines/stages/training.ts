import { DATA_LAKE_PREFIXES } from "../../contracts/dataLake";
import { SPLITS } from "../../contracts/dataset";
import { defineStage } from "../builder";
import { followCatcher, followDeclaration, followJob } from "../followJob";
import { SAGEMAKER_CREATE_RETRY, SAGEMAKER_RETRY } from "../retries";
import { STATES } from "../states";

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

/** Training: a SageMaker training job runs train.py in the PyTorch framework container on the dataset's manifests. */
const follow = followDeclaration(STATES.trainModel);
const TRAINING_RESULT = { "jobName.$": "$.TrainingJobName", "modelDataUrl.$": "$.ModelArtifacts.S3ModelArtifacts" };

export const trainingStage = defineStage(
  { name: "Training", ...follow, tasks: [STATES.trainModel, ...follow.tasks] },
  (stage) => {
    const { region, bucketName, training, roles } = stage.args;
    stage.task(STATES.trainModel, {
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
          "image-size": `${training.imageSize.width}x${training.imageSize.height}`,
          seed: String(training.seed),
          "score-threshold": String(training.scoreThreshold),
          "class-names.$": "$.dataset.classNames",
          sagemaker_program: "train.py",
          sagemaker_submit_directory: training.sourceUri,
          sagemaker_region: region,
          sagemaker_container_log_level: "20",
          // Several instances: the container starts train.py with torchrun on each (the SDK's torch_distributed).
          ...(training.instanceCount > 1 ? { sagemaker_torch_distributed_enabled: "true" } : {}),
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
        ResourceConfig: {
          InstanceType: training.instanceType,
          InstanceCount: training.instanceCount,
          VolumeSizeInGB: 30,
        },
        StoppingCondition: { MaxRuntimeInSeconds: training.maxRuntimeSeconds },
        RoleArn: roles.sagemaker,
        Tags: stage.sageMakerTags,
      },
      ResultSelector: TRAINING_RESULT,
      ResultPath: "$.training",
      // The job's own limit, plus an hour for provisioning, download and upload.
      TimeoutSeconds: training.maxRuntimeSeconds + 3600,
      Retry: SAGEMAKER_CREATE_RETRY,
      Catch: [followCatcher(STATES.trainModel)],
      Next: STATES.evaluateModel,
    });
    followJob(stage, {
      task: STATES.trainModel,
      describeResource: "arn:aws:states:::aws-sdk:sagemaker:describeTrainingJob",
      nameParameter: "TrainingJobName",
      namePath: "$.run.names.trainingJob",
      statusField: "TrainingJobStatus",
      completed: "Completed",
      failed: ["Failed", "Stopped"],
      resultSelector: TRAINING_RESULT,
      resultPath: "$.training",
      next: STATES.evaluateModel,
      pollIntervalSeconds: 60,
      maxPolls: Math.ceil((training.maxRuntimeSeconds + 3600) / 60),
      retry: SAGEMAKER_RETRY,
    });
  },
);
