/**
 * Errors the Lambdas throw on purpose. Lambda reports `error.name` as the error type, and the state machine matches
 * these names in `Retry`/`Catch`, so each name is a string literal (minified bundles rename classes).
 */
export const ERROR_NAMES = {
  invalidEvent: "InvalidEventError",
  invalidPipelineInput: "InvalidPipelineInputError",
  pipelineBusy: "PipelineBusyError",
  objectNotFound: "ObjectNotFoundError",
  labelStoreThrottled: "LabelStoreThrottledError",
  noValidLabels: "NoValidLabelsError",
  datasetTooSmall: "DatasetTooSmallError",
  datasetTooFewBoxes: "DatasetTooFewBoxesError",
  modelArtifact: "ModelArtifactError",
  optimisedModelMismatch: "OptimisedModelMismatchError",
  componentNotReady: "ComponentNotReadyError",
  componentFailed: "ComponentFailedError",
  fleetResultsMissing: "FleetResultsMissingError",
} as const;
export type ErrorName = (typeof ERROR_NAMES)[keyof typeof ERROR_NAMES];

/** The Lambda event does not have the shape the function expects: a bug in the state machine, never transient. */
export class InvalidEventError extends Error {
  override readonly name = ERROR_NAMES.invalidEvent;
}

/** The run's input does not satisfy `contracts/pipelineInput.ts`. */
export class InvalidPipelineInputError extends Error {
  override readonly name = ERROR_NAMES.invalidPipelineInput;
}

/** Another run of the pipeline started earlier and has not ended: this one stops before doing anything. */
export class PipelineBusyError extends Error {
  override readonly name = ERROR_NAMES.pipelineBusy;
}

export class ObjectNotFoundError extends Error {
  override readonly name = ERROR_NAMES.objectNotFound;
  constructor(readonly key: string) {
    super(`s3 object ${key} does not exist`);
  }
}

/** The label store kept throttling writes after our retries; ingestion is idempotent, so the state machine retries it. */
export class LabelStoreThrottledError extends Error {
  override readonly name = ERROR_NAMES.labelStoreThrottled;
}

/** Every line of a labeling job's output was rejected: nothing to ingest, the run stops. */
export class NoValidLabelsError extends Error {
  override readonly name = ERROR_NAMES.noValidLabels;
}

export class DatasetTooSmallError extends Error {
  override readonly name = ERROR_NAMES.datasetTooSmall;
}

/**
 * The approved labels hold too few boxes to learn from (`dataset.minBoxes`), or a split holds no image with a box:
 * training would run and cost money, and its model could detect nothing or its metrics would mean nothing.
 */
export class DatasetTooFewBoxesError extends Error {
  override readonly name = ERROR_NAMES.datasetTooFewBoxes;
}

/** The training output is not a gzip'd tar, or lacks a valid model.onnx / model.json. */
export class ModelArtifactError extends Error {
  override readonly name = ERROR_NAMES.modelArtifact;
}

/** The optimised model does not reproduce the original model's outputs on the golden images. */
export class OptimisedModelMismatchError extends Error {
  override readonly name = ERROR_NAMES.optimisedModelMismatch;
}

/** Greengrass has not finished validating the new component version yet; the state machine retries. */
export class ComponentNotReadyError extends Error {
  override readonly name = ERROR_NAMES.componentNotReady;
}

export class ComponentFailedError extends Error {
  override readonly name = ERROR_NAMES.componentFailed;
}

/** Devices the deployment reached have not yet published a valid result with the new model; the state machine retries. */
export class FleetResultsMissingError extends Error {
  override readonly name = ERROR_NAMES.fleetResultsMissing;
}
