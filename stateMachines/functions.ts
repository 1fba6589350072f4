/**
 * The Lambda functions the state machine invokes: source folder under `lambdas/`, timeout, memory and (where the
 * default 512 MB is too little) /tmp size. The Pulumi component creates them from this table, and the definition
 * derives each Task's TimeoutSeconds from it.
 */
export const PIPELINE_FUNCTIONS = {
  startRun: {
    entry: "startRun",
    timeoutSeconds: 30,
    memoryMb: 256,
    description: "Validates a run's input and names its jobs",
  },
  findUnlabeledImages: {
    entry: "findUnlabeledImages",
    timeoutSeconds: 600,
    memoryMb: 1024,
    description: "Finds images without an approved label",
  },
  prepareLabelingJob: {
    entry: "prepareLabelingJob",
    timeoutSeconds: 300,
    memoryMb: 512,
    description: "Writes a Ground Truth job's manifest, categories and worker UI",
  },
  ingestLabels: {
    entry: "ingestLabels",
    timeoutSeconds: 900,
    memoryMb: 1024,
    description: "Stores a labeling job's output in the label store",
  },
  buildDataset: {
    entry: "buildDataset",
    timeoutSeconds: 900,
    memoryMb: 2048,
    description: "Splits the approved labels into a training dataset",
  },
  evaluateModel: {
    entry: "evaluateModel",
    timeoutSeconds: 300,
    memoryMb: 1024,
    description: "Reads a trained model's metrics and decides the quality gate",
  },
  compileOnnx: {
    entry: "compileOnnx",
    timeoutSeconds: 900,
    memoryMb: 3008,
    // Optimising a model writes both versions of it to /tmp.
    ephemeralStorageMb: 2048,
    description: "Optimises an ONNX model and checks it on golden images",
  },
  checkFleetResults: {
    entry: "checkFleetResults",
    timeoutSeconds: 60,
    memoryMb: 256,
    description: "Checks that the deployed devices publish valid results with the new model",
  },
  createModelComponent: {
    entry: "createModelComponent",
    timeoutSeconds: 300,
    memoryMb: 512,
    description: "Publishes a model as a Greengrass component version",
  },
} as const;

export type PipelineFunction = keyof typeof PIPELINE_FUNCTIONS;

/** The trigger starter is not part of the state machine: EventBridge invokes it. */
export const STARTER_FUNCTION = {
  entry: "startPipeline",
  timeoutSeconds: 30,
  memoryMb: 256,
  description: "Starts a pipeline run, named after its trigger",
} as const;

/** The new-images trigger is not part of the state machine either: S3 events through EventBridge invoke it. */
export const NEW_IMAGES_FUNCTION = {
  entry: "newImages",
  timeoutSeconds: 60,
  memoryMb: 256,
  description: "Records arriving images as pending and starts a run when enough have waited",
} as const;

/** A function's key as it appears in resource names: `ingestLabels` → `ingest-labels`. */
export const functionSlug = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** The deployed function's name, as the component creates it and the offline run addresses it. */
export const functionName = (namePrefix: string, key: string) => `${namePrefix}-${functionSlug(key)}`;
