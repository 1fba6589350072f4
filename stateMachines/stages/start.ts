import { defineStage } from "../builder";
import { STATES } from "../states";

/** Start: validate the input, name the run's jobs, choose the path. */
export const startStage = defineStage(
  { name: "Start", tasks: [STATES.startRun], others: [STATES.chooseMode] },
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
        { Variable: "$.run.mode", StringEquals: "deploy", Next: STATES.describeModelPackage },
        { Variable: "$.run.skipLabeling", BooleanEquals: true, Next: STATES.buildDataset },
      ],
      Default: STATES.findUnlabeledImages,
    });
  },
);
