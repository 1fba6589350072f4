import type { StageModule } from "./builder";
import type { StageDefinition } from "./progress";
import { compilationStage } from "./stages/compilation";
import { datasetStage } from "./stages/dataset";
import { deploymentStage } from "./stages/deployment";
import { evaluationStage } from "./stages/evaluation";
import { failureNoticeStage } from "./stages/failureNotice";
import { findUnlabeledStage } from "./stages/findUnlabeled";
import { labelingStage } from "./stages/labeling";
import { startStage } from "./stages/start";
import { trainingStage } from "./stages/training";

/** The pipeline's stage modules, in the order a run meets them: the definition is their states, in this order. */
export const PIPELINE_STAGE_MODULES: readonly StageModule[] = [
  startStage,
  findUnlabeledStage,
  labelingStage,
  datasetStage,
  trainingStage,
  evaluationStage,
  compilationStage,
  deploymentStage,
  failureNoticeStage,
];

/**
 * The pipeline's states grouped into the stages people think in, as the stage modules declare them. `npm run pipeline
 * -- watch` and the offline run show progress by these; a test checks that every state of the definition belongs to
 * exactly one stage.
 */
export const PIPELINE_STAGES: readonly StageDefinition[] = PIPELINE_STAGE_MODULES.map((module) => module.stage);
