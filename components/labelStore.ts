import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { DATA_LAKE_PREFIXES } from "../contracts/dataLake";
import { EVENT_TIME_FEATURE, labelFeatureDefinitions, RECORD_IDENTIFIER_FEATURE } from "../contracts/labelRecord";
import { objectsUnder, policyDocument, serviceTrustPolicy } from "../cloud/iam";

export interface LabelStoreArgs {
  featureGroupName: string;
  bucketName: pulumi.Input<string>;
  bucketArn: pulumi.Input<string>;
}

/**
 * The labels of every image: a SageMaker Feature Store feature group whose online store answers "is this image
 * labeled?" in milliseconds and whose offline store keeps the full history in the data lake.
 */
export class LabelStore extends pulumi.ComponentResource {
  public readonly featureGroupName: pulumi.Output<string>;
  public readonly featureGroupArn: pulumi.Output<string>;
  public readonly roleArn: pulumi.Output<string>;

  constructor(name: string, args: LabelStoreArgs, opts?: pulumi.ComponentResourceOptions) {
    super("qualityinspection:labels:LabelStore", name, {}, opts);
    const { featureGroupName, bucketName, bucketArn } = args;

    // Feature Store assumes this role to write the offline store, and nothing else.
    const role = new aws.iam.Role(
      `${name}-offline-store-role`,
      {
        description: "Lets SageMaker Feature Store write the label feature group's offline store",
        // Feature Store is not documented to send aws:SourceAccount (see serviceTrustPolicy).
        assumeRolePolicy: serviceTrustPolicy("sagemaker.amazonaws.com"),
      },
      { parent: this },
    );
    const rolePolicy = new aws.iam.RolePolicy(
      `${name}-offline-store-access`,
      {
        role: role.id,
        policy: policyDocument([
          {
            sid: "WriteOfflineStore",
            actions: ["s3:PutObject", "s3:PutObjectAcl"],
            resources: [objectsUnder(bucketArn, DATA_LAKE_PREFIXES.labelStoreOffline)],
          },
          { sid: "CheckBucketOwnership", actions: ["s3:GetBucketAcl"], resources: [bucketArn] },
        ]),
      },
      { parent: this },
    );

    const featureGroup = new aws.sagemaker.FeatureGroup(
      `${name}-feature-group`,
      {
        featureGroupName,
        description: "Bounding-box labels of inspection images, one record per image",
        recordIdentifierFeatureName: RECORD_IDENTIFIER_FEATURE,
        eventTimeFeatureName: EVENT_TIME_FEATURE,
        featureDefinitions: labelFeatureDefinitions,
        onlineStoreConfig: { enableOnlineStore: true },
        offlineStoreConfig: {
          s3StorageConfig: { s3Uri: pulumi.interpolate`s3://${bucketName}/${DATA_LAKE_PREFIXES.labelStoreOffline}` },
          // No Glue catalog: nothing queries the offline store through Athena, and the role stays S3-only.
          disableGlueTableCreation: true,
        },
        roleArn: role.arn,
      },
      // Feature Store checks the role's access when the group is created.
      { parent: this, dependsOn: [rolePolicy] },
    );

    this.featureGroupName = featureGroup.featureGroupName;
    this.featureGroupArn = featureGroup.arn;
    this.roleArn = role.arn;
    this.registerOutputs({
      featureGroupName: this.featureGroupName,
      featureGroupArn: this.featureGroupArn,
      roleArn: this.roleArn,
    });
  }
}
