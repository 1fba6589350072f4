import { failedStateOf, STATES } from "./qualityInspection";
import type { StageDefinition } from "./progress";

/** A stage's Task states, their failure Pass states, and the other states it owns. */
function stage(name: string, tasks: string[], others: string[] = [], failures: string[] = []): StageDefinition {
  const taskFailures = tasks.map(failedStateOf);
  return {
    name,
    states: [...tasks, ...others, ...taskFailures, ...failures],
    failureStates: [...taskFailures, ...failures],
  };
}

/**
 * The pipeline's states grouped into the stages people think in. `npm run pipeline -- watch` and the offline run show
 * progress by these; a test checks that every state of the definition belongs to exactly one stage.
 */
export const PIPELINE_STAGES: readonly StageDefinition[] = [
  stage("Start", [STATES.startRun], [STATES.chooseMode]),
  stage("Find unlabeled images", [STATES.findUnlabeledImages], [STATES.anythingToLabel]),
  stage("Labeling", [STATES.prepareLabelingJob, STATES.labelImages, STATES.verifyLabels, STATES.ingestLabels]),
  stage("Dataset", [STATES.buildDataset]),
  stage("Training", [STATES.trainModel]),
  stage(
    "Evaluation and registry",
    [STATES.evaluateModel, STATES.registerModel, STATES.describeModelPackage],
    [STATES.routeModel, STATES.modelRejected, STATES.awaitingApproval, STATES.alreadyDeployed],
    [STATES.modelPackageUnusable],
  ),
  stage(
    "Compilation",
    [STATES.optimiseOnnx, STATES.startNeoCompilation, STATES.describeNeoCompilation],
    [
      STATES.chooseCompilation,
      STATES.waitForNeoCompilation,
      STATES.neoCompilationDone,
      STATES.countNeoPoll,
      STATES.useNeoOutput,
    ],
    [STATES.neoCompilationFailed, STATES.neoCompilationStopped, STATES.neoCompilationTimedOut],
  ),
  stage(
    "Deployment",
    [STATES.createModelComponent, STATES.createDeployment, STATES.describeDeploymentJob],
    [STATES.waitForDeployment, STATES.deploymentDone, STATES.countDeploymentPoll, STATES.deployed],
    [STATES.deploymentFailed, STATES.deploymentCanceled, STATES.deploymentTimedOut],
  ),
  { name: "Failure notice", states: [STATES.notifyFailure, STATES.pipelineFailed] },
];
