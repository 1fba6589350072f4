import type { Retrier } from "./asl";

// The retry policies the stages share: one place to tune how patient the pipeline is with each service.

/** Errors that say nothing about the work itself: Lambda's service hiccups, and AWS SDK calls that ran out of retries. */
export const TRANSIENT_LAMBDA_ERRORS = [
  "Lambda.ServiceException",
  "Lambda.AWSLambdaException",
  "Lambda.SdkClientException",
  "Lambda.TooManyRequestsException",
  "ThrottlingException",
  "SlowDown",
  "ServiceUnavailable",
  "InternalError",
];

/** Every Lambda task retries these first (the builder's `lambda()` adds it). */
export const LAMBDA_RETRY: Retrier = {
  ErrorEquals: TRANSIENT_LAMBDA_ERRORS,
  IntervalSeconds: 2,
  MaxAttempts: 6,
  BackoffRate: 2,
  MaxDelaySeconds: 60,
  JitterStrategy: "FULL",
};
/** SageMaker throttling: the optimised integrations report it as AmazonSageMakerException, SDK calls by name. */
const SAGEMAKER_THROTTLING_RETRY: Retrier = {
  ErrorEquals: ["SageMaker.AmazonSageMakerException", "SageMaker.ThrottlingException"],
  IntervalSeconds: 15,
  MaxAttempts: 4,
  BackoffRate: 2,
  JitterStrategy: "FULL",
};
/** Instance quotas free up when other jobs end: wait longer. */
const SAGEMAKER_LIMIT_RETRY: Retrier = {
  ErrorEquals: ["SageMaker.ResourceLimitExceededException"],
  IntervalSeconds: 300,
  MaxAttempts: 3,
  BackoffRate: 2,
  JitterStrategy: "FULL",
};
export const SAGEMAKER_RETRY = [SAGEMAKER_THROTTLING_RETRY, SAGEMAKER_LIMIT_RETRY];
/**
 * For the creates of labeling and training jobs: only errors that say the call did nothing. The optimised `.sync`
 * integrations report every other API error (a validation error among them) as AmazonSageMakerException, and
 * retrying a create that may have succeeded only meets ResourceInUse (which the Task catches to follow its job).
 */
const SAGEMAKER_SERVICE_RETRY: Retrier = {
  ErrorEquals: [
    "SageMaker.ThrottlingException",
    "SageMaker.InternalFailureException",
    "SageMaker.ServiceUnavailableException",
  ],
  IntervalSeconds: 15,
  MaxAttempts: 4,
  BackoffRate: 2,
  JitterStrategy: "FULL",
};
export const SAGEMAKER_CREATE_RETRY = [SAGEMAKER_SERVICE_RETRY, SAGEMAKER_LIMIT_RETRY];
export const GREENGRASS_RETRY: Retrier = {
  ErrorEquals: [
    "GreengrassV2.ThrottlingException",
    "GreengrassV2.InternalServerException",
    "Iot.ThrottlingException",
    "Iot.ServiceUnavailableException",
    "Iot.InternalFailureException",
  ],
  IntervalSeconds: 5,
  MaxAttempts: 5,
  BackoffRate: 2,
  JitterStrategy: "FULL",
};
