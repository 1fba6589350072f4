import { DATA_LAKE_PREFIXES } from "../../contracts/dataLake";
import type { ChoiceCondition } from "../asl";
import { defineStage, report, StageBuilder } from "../builder";
import { STATES } from "../states";

/** StartRun found another run going (only triggered runs get this far: a manual one fails there). */
export const PIPELINE_BUSY: ChoiceCondition = { Not: { Variable: "$.run.busyWith", IsNull: true } };

/** A triggered run that found the pipeline busy writes itself to the run queue and ends; the starter starts it later. */
function queueRun(stage: StageBuilder): void {
  stage.task(STATES.queueRun, {
    Resource: "arn:aws:states:::aws-sdk:s3:putObject",
    Parameters: {
      Bucket: stage.args.bucketName,
      // queueKey (lib/runQueue.ts), in ASL; the body is a QueuedRun.
      "Key.$": `States.Format('${DATA_LAKE_PREFIXES.runQueue}{}.json', $$.Execution.Name)`,
      Body: { "name.$": "$$.Execution.Name", "input.$": "$$.Execution.Input" },
      ContentType: "application/json",
    },
    ResultPath: null,
    TimeoutSeconds: 60,
    Next: STATES.runQueued,
  });
  stage.state(STATES.runQueued, report("queued"));
}

/** Start: validate the input, name the run's jobs, choose the path. */
export const startStage = defineStage(
  { name: "Start", tasks: [STATES.startRun, STATES.queueRun], others: [STATES.chooseMode, STATES.runQueued] },
  (stage) => {
    const { namePrefix, registry, compilation } = stage.args;
    stage.lambda(
      STATES.startRun,
      "startRun",
      {
        Parameters: {
          "input.$": "$",
          execution: { "name.$": "$$.Execution.Name", "startTime.$": "$$.Execution.StartTime" },
          "stateMachineArn.$": "$$.StateMachine.Id",
          settings: {
            namePrefix,
            modelPackageGroupName: registry.modelPackageGroupName,
            compilationTarget: compilation.target,
          },
        },
        // No ResultPath: the result replaces the raw input (the default, "$").
        Next: STATES.chooseMode,
      },
      // The input may not even be an object, so StartRun's error replaces the state instead of joining it.
      "$",
    );
    stage.state(STATES.chooseMode, {
      Type: "Choice",
      Choices: [
        // A deploy run looks at its package first: there may be nothing to deploy, and then nothing to queue.
        { Variable: "$.run.mode", StringEquals: "deploy", Next: STATES.describeModelPackage },
        { ...PIPELINE_BUSY, Next: STATES.queueRun },
        { Variable: "$.run.skipLabeling", BooleanEquals: true, Next: STATES.buildDataset },
      ],
      Default: STATES.findUnlabeledImages,
    });
    queueRun(stage);
  },
);
