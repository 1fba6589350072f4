import { compiledKeys } from "../../lib/models";
import type { ChoiceCondition } from "../asl";
import { defineStage, intrinsic, StageBuilder } from "../builder";
import { SAGEMAKER_RETRY } from "../retries";
import { STATES } from "../states";
import { packageMetadata } from "./evaluation";

const GOLDEN_IMAGES = 4;

/** The onnxruntime optimisation, in a Lambda function that also checks the result on golden images. */
function optimiseOnnx(stage: StageBuilder): void {
  stage.state(STATES.chooseCompilation, {
    Type: "Choice",
    Choices: [{ Variable: "$.run.compilationTarget", StringEquals: "onnx", Next: STATES.optimiseOnnx }],
    Default: STATES.startNeoCompilation,
  });
  stage.lambda(STATES.optimiseOnnx, "compileOnnx", {
    Parameters: {
      "modelKey.$": packageMetadata("modelKey"),
      "manifestKey.$": packageMetadata("manifestKey"),
      "modelVersion.$": packageMetadata("modelVersion"),
      "datasetId.$": packageMetadata("datasetId"),
      goldenImages: GOLDEN_IMAGES,
    },
    ResultPath: "$.compiled",
    Next: STATES.createModelComponent,
  });
}

/** A Neo compilation job, started and then described every poll interval. */
function neoJob(stage: StageBuilder): void {
  const { bucketName, compilation, roles } = stage.args;
  const neoBudget = Math.min(Math.max(compilation.pollIntervalSeconds * compilation.maxPolls, 60), 86_400);
  stage.task(STATES.startNeoCompilation, {
    Resource: "arn:aws:states:::aws-sdk:sagemaker:createCompilationJob",
    Parameters: {
      "CompilationJobName.$": "$.run.names.compilationJob",
      RoleArn: roles.sagemaker,
      InputConfig: {
        "S3Uri.$": packageMetadata("neoInputUri"),
        "DataInputConfig.$": packageMetadata("neoDataInputConfig"),
        Framework: "ONNX",
      },
      OutputConfig: {
        // The model version fills the {} of the compiled-model layout.
        "S3OutputLocation.$": `States.Format('s3://${bucketName}/${compiledKeys("{}").neo}', ${packageMetadata("modelVersion")})`,
        TargetDevice: compilation.target,
      },
      // Neo stops the job itself when the polling budget runs out, so a timed-out run leaves nothing running.
      StoppingCondition: { MaxRuntimeInSeconds: neoBudget },
      Tags: stage.sageMakerTags,
    },
    ResultSelector: { "jobArn.$": "$.CompilationJobArn", polls: { n: 1 } },
    ResultPath: "$.neo",
    TimeoutSeconds: 60,
    Retry: SAGEMAKER_RETRY,
    Next: STATES.waitForNeoCompilation,
  });
  stage.state(STATES.waitForNeoCompilation, {
    Type: "Wait",
    Seconds: compilation.pollIntervalSeconds,
    Next: STATES.describeNeoCompilation,
  });
  stage.task(STATES.describeNeoCompilation, {
    Resource: "arn:aws:states:::aws-sdk:sagemaker:describeCompilationJob",
    Parameters: { "CompilationJobName.$": "$.run.names.compilationJob" },
    ResultPath: "$.neo.job",
    TimeoutSeconds: 60,
    Retry: SAGEMAKER_RETRY,
    Next: STATES.neoCompilationDone,
  });
}

const neoStatus = "$.neo.job.CompilationJobStatus";

/** What a described Neo job means: done, failed, out of polls, or one more poll. */
function neoOutcome(stage: StageBuilder): void {
  stage.state(STATES.neoCompilationDone, {
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
        NumericGreaterThanEquals: stage.args.compilation.maxPolls,
        Next: STATES.neoCompilationTimedOut,
      },
    ],
    Default: STATES.countNeoPoll,
  });
  stage.state(STATES.countNeoPoll, {
    Type: "Pass",
    Parameters: { "n.$": "States.MathAdd($.neo.polls.n, 1)" },
    ResultPath: "$.neo.polls",
    Next: STATES.waitForNeoCompilation,
  });
  stage.state(STATES.useNeoOutput, {
    Type: "Pass",
    Comment: "The device runs model.onnx with onnxruntime; the Neo archive travels with it for DLR runtimes",
    Parameters: {
      "modelKey.$": packageMetadata("modelKey"),
      "manifestKey.$": packageMetadata("manifestKey"),
      "extraArtifactUris.$": "States.Array($.neo.job.ModelArtifacts.S3ModelArtifacts)",
    },
    ResultPath: "$.compiled",
    Next: STATES.createModelComponent,
  });
}

/** The ways a Neo job ends badly, each with a cause that names the job. */
function neoFailures(stage: StageBuilder): void {
  stage.failure(
    STATES.neoCompilationFailed,
    STATES.describeNeoCompilation,
    { value: "NeoCompilationFailed" },
    intrinsic(
      "States.Format('Neo compilation job {} failed: {}', $.run.names.compilationJob, $.neo.job.FailureReason)",
    ),
  );
  stage.failure(
    STATES.neoCompilationStopped,
    STATES.describeNeoCompilation,
    { value: "NeoCompilationFailed" },
    intrinsic(
      "States.Format('Neo compilation job {} ended as {}', $.run.names.compilationJob, $.neo.job.CompilationJobStatus)",
    ),
  );
  stage.failure(
    STATES.neoCompilationTimedOut,
    STATES.describeNeoCompilation,
    { value: "NeoCompilationTimedOut" },
    intrinsic(
      `States.Format('Neo compilation job {} was still {} after {} checks ${stage.args.compilation.pollIntervalSeconds} s apart', $.run.names.compilationJob, $.neo.job.CompilationJobStatus, $.neo.polls.n)`,
    ),
  );
}

/**
 * Compilation: onnxruntime optimisation in a Lambda function, or a Neo compilation job polled until it ends (Neo has
 * no `.sync` integration).
 */
export const compilationStage = defineStage(
  {
    name: "Compilation",
    tasks: [STATES.optimiseOnnx, STATES.startNeoCompilation, STATES.describeNeoCompilation],
    others: [
      STATES.chooseCompilation,
      STATES.waitForNeoCompilation,
      STATES.neoCompilationDone,
      STATES.countNeoPoll,
      STATES.useNeoOutput,
    ],
    failures: [STATES.neoCompilationFailed, STATES.neoCompilationStopped, STATES.neoCompilationTimedOut],
  },
  (stage) => {
    optimiseOnnx(stage);
    neoJob(stage);
    neoOutcome(stage);
    neoFailures(stage);
  },
);
