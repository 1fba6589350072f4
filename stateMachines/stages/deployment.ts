import { MODEL_COMPONENT_VERSION_PREFIX } from "../../contracts/modelComponent";
import { ERROR_NAMES } from "../../lib/errors";
import { CHAMPION_KEY } from "../../lib/models";
import type { ChoiceCondition } from "../asl";
import { defineStage, intrinsic, report, StageBuilder } from "../builder";
import { GREENGRASS_RETRY } from "../retries";
import { STATES } from "../states";
import { packageMetadata } from "./evaluation";

/** A Greengrass component version for the model, and a deployment of it with the inference component to the fleet. */
function componentAndDeployment(stage: StageBuilder): void {
  const { namePrefix, deploy, tags } = stage.args;
  stage.lambda(STATES.createModelComponent, "createModelComponent", {
    Parameters: {
      componentName: deploy.modelComponentName,
      // modelComponentVersion (contracts/modelComponent.ts), in ASL.
      "componentVersion.$": `States.Format('${MODEL_COMPONENT_VERSION_PREFIX}{}', $.modelPackage.ModelPackageVersion)`,
      "modelPackageArn.$": "$.modelPackage.ModelPackageArn",
      "modelVersion.$": packageMetadata("modelVersion"),
      "modelKey.$": "$.compiled.modelKey",
      "manifestKey.$": "$.compiled.manifestKey",
      "extraArtifactUris.$": "$.compiled.extraArtifactUris",
      inference: {
        componentName: deploy.inferenceComponent.name,
        componentVersion: deploy.inferenceComponent.version,
        recipeKey: deploy.inferenceComponent.recipeKey,
      },
      tags,
    },
    ResultPath: "$.component",
    Retry: [{ ErrorEquals: [ERROR_NAMES.componentNotReady], IntervalSeconds: 10, MaxAttempts: 6, BackoffRate: 1.5 }],
    Next: STATES.createDeployment,
  });
  const deployBudgetMinutes = Math.ceil((deploy.pollIntervalSeconds * deploy.maxPolls) / 60);
  stage.task(STATES.createDeployment, {
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
      Tags: tags,
    },
    ResultSelector: { "deploymentId.$": "$.DeploymentId", "iotJobId.$": "$.IotJobId", polls: { n: 1 } },
    ResultPath: "$.deployment",
    TimeoutSeconds: 60,
    Retry: [GREENGRASS_RETRY],
    Next: STATES.waitForDeployment,
  });
}

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

/** Wait → describe → decide, until every device is done or the polls run out. */
function waitForDevices(stage: StageBuilder): void {
  const { deploy } = stage.args;
  stage.state(STATES.waitForDeployment, {
    Type: "Wait",
    Seconds: deploy.pollIntervalSeconds,
    Next: STATES.describeDeploymentJob,
  });
  // Thing-group deployments are continuous and never "complete"; the IoT job behind them counts devices per state.
  stage.task(STATES.describeDeploymentJob, {
    Resource: "arn:aws:states:::aws-sdk:iot:describeJob",
    Parameters: { "JobId.$": "$.deployment.iotJobId" },
    ResultSelector: { "status.$": "$.Job.Status", "devices.$": "$.Job.JobProcessDetails" },
    ResultPath: "$.deployment.job",
    TimeoutSeconds: 60,
    Retry: [GREENGRASS_RETRY],
    Next: STATES.deploymentDone,
  });
  stage.state(STATES.deploymentDone, {
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
      { And: [some("Succeeded"), none("InProgress"), none("Queued")], Next: STATES.checkFleetResults },
      { Variable: "$.deployment.polls.n", NumericGreaterThanEquals: deploy.maxPolls, Next: STATES.deploymentTimedOut },
    ],
    Default: STATES.countDeploymentPoll,
  });
  stage.state(STATES.countDeploymentPoll, {
    Type: "Pass",
    Parameters: { "n.$": "States.MathAdd($.deployment.polls.n, 1)" },
    ResultPath: "$.deployment.polls",
    Next: STATES.waitForDeployment,
  });
  // Running is not working: every device the job succeeded on must publish a valid result with the new model.
  stage.lambda(STATES.checkFleetResults, "checkFleetResults", {
    Parameters: {
      "manifestKey.$": "$.compiled.manifestKey",
      "devices.$": devices("Succeeded"),
      "since.$": "$$.Execution.StartTime",
    },
    ResultPath: "$.deployment.results",
    // A detector publishes within its first interval; give the fleet ten minutes.
    Retry: [{ ErrorEquals: [ERROR_NAMES.fleetResultsMissing], IntervalSeconds: 60, MaxAttempts: 10, BackoffRate: 1 }],
    Next: STATES.recordChampion,
  });
  // The fleet runs this model now: the next training run's new model must not be worse than it.
  stage.task(STATES.recordChampion, {
    Resource: "arn:aws:states:::aws-sdk:s3:putObject",
    Parameters: {
      Bucket: stage.args.bucketName,
      Key: CHAMPION_KEY,
      // A Champion (lib/models.ts).
      Body: {
        "modelVersion.$": packageMetadata("modelVersion"),
        "packageArn.$": "$.modelPackage.ModelPackageArn",
        "modelKey.$": "$.compiled.modelKey",
        "manifestKey.$": "$.compiled.manifestKey",
        "deployedBy.$": "$$.Execution.Name",
      },
      ContentType: "application/json",
    },
    ResultPath: null,
    TimeoutSeconds: 60,
    Next: STATES.deployed,
  });
  stage.state(STATES.deployed, report("deployed"));
}

/** The ways a deployment ends badly, each with a cause that names the deployment. */
function deploymentFailures(stage: StageBuilder): void {
  stage.failure(
    STATES.deploymentFailed,
    STATES.describeDeploymentJob,
    { value: "DeploymentFailed" },
    intrinsic(
      "States.Format('deployment {} failed on the fleet (the devices rolled back): {}', $.deployment.deploymentId, States.JsonToString($.deployment.job.devices))",
    ),
  );
  stage.failure(
    STATES.deploymentCanceled,
    STATES.describeDeploymentJob,
    { value: "DeploymentCanceled" },
    intrinsic(
      "States.Format('deployment {} was replaced or canceled (IoT job {}) before every device finished', $.deployment.deploymentId, $.deployment.job.status)",
    ),
  );
  stage.failure(
    STATES.deploymentTimedOut,
    STATES.describeDeploymentJob,
    { value: "DeploymentTimedOut" },
    intrinsic(
      `States.Format('deployment {} was not finished on every device after {} checks ${stage.args.deploy.pollIntervalSeconds} s apart: {}', $.deployment.deploymentId, $.deployment.polls.n, States.JsonToString($.deployment.job.devices))`,
    ),
  );
}

/** Deployment: model component version → deployment to the fleet → wait for every device. */
export const deploymentStage = defineStage(
  {
    name: "Deployment",
    tasks: [
      STATES.createModelComponent,
      STATES.createDeployment,
      STATES.describeDeploymentJob,
      STATES.checkFleetResults,
      STATES.recordChampion,
    ],
    others: [STATES.waitForDeployment, STATES.deploymentDone, STATES.countDeploymentPoll, STATES.deployed],
    failures: [STATES.deploymentFailed, STATES.deploymentCanceled, STATES.deploymentTimedOut],
  },
  (stage) => {
    componentAndDeployment(stage);
    waitForDevices(stage);
    deploymentFailures(stage);
  },
);
