/** Name rules of AWS resources that several parts check: stack config, edge config, recipe, data lake keys, CLI. */

/** A commercial or GovCloud region, e.g. `eu-west-1`. */
export const AWS_REGION = /^[a-z]{2}(-gov)?-[a-z]+-\d$/;

/** An AWS IoT thing name. */
export const THING_NAME = /^[a-zA-Z0-9:_-]{1,128}$/;

/** An S3 bucket name. */
export const S3_BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
