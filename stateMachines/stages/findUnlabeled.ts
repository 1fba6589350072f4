import { defineStage } from "../builder";
import { STATES } from "../states";

/** Find unlabeled images: pick the new images for one labeling job, or go straight to the dataset. */
export const findUnlabeledStage = defineStage(
  { name: "Find unlabeled images", tasks: [STATES.findUnlabeledImages], others: [STATES.anythingToLabel] },
  (stage) => {
    stage.lambda(STATES.findUnlabeledImages, "findUnlabeledImages", {
      Parameters: {
        "imagesPrefix.$": "$.run.imagesPrefix",
        maxImages: stage.args.labeling.maxImagesPerJob,
        "labelingJobName.$": "$.run.names.labelingJob",
      },
      ResultPath: "$.unlabeled",
      Next: STATES.anythingToLabel,
    });
    stage.state(STATES.anythingToLabel, {
      Type: "Choice",
      Choices: [{ Variable: "$.unlabeled.selected", NumericGreaterThan: 0, Next: STATES.prepareLabelingJob }],
      Default: STATES.buildDataset,
    });
  },
);
