import { defineStage } from "../builder";
import { STATES } from "../states";

/** Dataset: split the approved labels into the training, validation and test manifests. */
export const datasetStage = defineStage({ name: "Dataset", tasks: [STATES.buildDataset] }, (stage) => {
  const { labeling, dataset } = stage.args;
  stage.lambda(STATES.buildDataset, "buildDataset", {
    Parameters: {
      "datasetId.$": "$.run.names.dataset",
      classes: labeling.classes,
      minImages: dataset.minImages,
      minBoxes: dataset.minBoxes,
      fractions: dataset.fractions,
      // The run's labeling job (whether or not it ran): BuildDataset reads its selection's labels first-hand.
      "labelingJobName.$": "$.run.names.labelingJob",
      ...(dataset.athenaAboveImages === null ? {} : { athenaAboveImages: dataset.athenaAboveImages }),
    },
    ResultPath: "$.dataset",
    Next: STATES.trainModel,
  });
});
