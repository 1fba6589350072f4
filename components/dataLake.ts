import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { DATA_LAKE_PREFIXES } from "../contracts/dataLake";
import { policyDocument } from "../cloud/iam";

export interface DataLakeArgs {
  /** Delete the bucket with its objects on `pulumi destroy` (dev); keep it otherwise (prod). */
  forceDestroy: boolean;
  /** Days an overwritten or deleted object version is kept before it expires. */
  noncurrentVersionDays: number;
  /** Days objects under the `tmp/` prefix live. */
  tmpExpirationDays: number;
  /**
   * Origins whose web pages may GET objects: Ground Truth's worker UI fetches the images in the worker's browser.
   * Empty: no CORS rule.
   */
  browserReadOrigins: string[];
  /** URNs the CORS rule had before (it was the pipeline component's), so an existing stack keeps it. */
  corsAliases?: pulumi.Input<string | pulumi.Alias>[];
}

/**
 * One private, versioned, encrypted bucket holding images, labels, datasets, models and artifacts; web pages of the
 * configured origins may GET its objects (CORS), nothing more.
 */
export class DataLake extends pulumi.ComponentResource {
  public readonly bucketName: pulumi.Output<string>;
  public readonly bucketArn: pulumi.Output<string>;

  constructor(name: string, args: DataLakeArgs, opts?: pulumi.ComponentResourceOptions) {
    super("qualityinspection:storage:DataLake", name, {}, opts);
    const { forceDestroy, noncurrentVersionDays, tmpExpirationDays, browserReadOrigins } = args;

    // The bucket name is generated (globally unique); everything else finds it through the stack output.
    // A bucket that destroy may not empty is left behind by destroy instead of failing it (docs/operations.md).
    const bucket = new aws.s3.Bucket(
      `${name}-bucket`,
      { forceDestroy },
      { parent: this, retainOnDelete: !forceDestroy },
    );

    // Versioning keeps every label and model artifact recoverable after an overwrite or delete.
    new aws.s3.BucketVersioning(
      `${name}-versioning`,
      { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } },
      { parent: this },
    );

    // SSE-S3 needs no key policy, so every role that can read an object can decrypt it.
    new aws.s3.BucketServerSideEncryptionConfiguration(
      `${name}-encryption`,
      {
        bucket: bucket.id,
        rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" }, bucketKeyEnabled: true }],
      },
      { parent: this },
    );

    // Nothing in this bucket is ever public.
    const publicAccessBlock = new aws.s3.BucketPublicAccessBlock(
      `${name}-public-access-block`,
      {
        bucket: bucket.id,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      },
      { parent: this },
    );

    // ACLs off: the bucket owner owns every object, whoever wrote it (Ground Truth, SageMaker, devices).
    new aws.s3.BucketOwnershipControls(
      `${name}-ownership`,
      { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } },
      { parent: this },
    );

    // Refuse every request that does not come over TLS.
    new aws.s3.BucketPolicy(
      `${name}-tls-only`,
      {
        bucket: bucket.id,
        policy: policyDocument([
          {
            sid: "DenyInsecureTransport",
            effect: "Deny",
            principals: "*",
            actions: ["s3:*"],
            resources: [bucket.arn, pulumi.interpolate`${bucket.arn}/*`],
            conditions: { Bool: { "aws:SecureTransport": ["false"] } },
          },
        ]),
      },
      { parent: this, dependsOn: [publicAccessBlock] },
    );

    new aws.s3.BucketLifecycleConfiguration(
      `${name}-lifecycle`,
      {
        bucket: bucket.id,
        rules: [
          {
            id: "expire-tmp",
            status: "Enabled",
            filter: { prefix: DATA_LAKE_PREFIXES.tmp },
            expiration: { days: tmpExpirationDays },
          },
          {
            id: "expire-old-versions",
            status: "Enabled",
            filter: {},
            noncurrentVersionExpiration: { noncurrentDays: noncurrentVersionDays },
            abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
          },
        ],
      },
      { parent: this },
    );

    if (browserReadOrigins.length > 0) this.browserReads(name, bucket, browserReadOrigins, args.corsAliases);

    this.bucketName = bucket.bucket;
    this.bucketArn = bucket.arn;
    this.registerOutputs({ bucketName: this.bucketName, bucketArn: this.bucketArn });
  }

  /** The CORS rule that lets web pages of `origins` GET objects (and read the Access-Control-Allow-Origin header). */
  private browserReads(
    name: string,
    bucket: aws.s3.Bucket,
    origins: string[],
    aliases: DataLakeArgs["corsAliases"],
  ): aws.s3.BucketCorsConfiguration {
    return new aws.s3.BucketCorsConfiguration(
      `${name}-cors`,
      {
        bucket: bucket.bucket,
        corsRules: [
          {
            allowedMethods: ["GET"],
            allowedOrigins: origins,
            allowedHeaders: [],
            exposeHeaders: ["Access-Control-Allow-Origin"],
            maxAgeSeconds: 3000,
          },
        ],
      },
      { parent: this, aliases },
    );
  }
}
