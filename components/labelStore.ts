import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { DATA_LAKE_PREFIXES } from "../contracts/dataLake";
import { labelStoreCatalogNames, labelStoreGlueColumns } from "../contracts/labelStoreTable";
import { workgroupConfiguration } from "../cloud/athenaWorkgroup";
import { EVENT_TIME_FEATURE, labelFeatureDefinitions, RECORD_IDENTIFIER_FEATURE } from "../contracts/labelRecord";
import { objectsUnder, policyDocument, serviceTrustPolicy } from "../cloud/iam";

export interface LabelStoreArgs {
  namePrefix: string;
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
  /** The Glue table over the offline store and the Athena workgroup that queries it. */
  public readonly offlineTable: { databaseName: pulumi.Output<string>; tableName: pulumi.Output<string> };
  public readonly workgroupName: pulumi.Output<string>;

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
          // The component declares the Glue table itself (offlineStoreTable), so the role stays S3-only.
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
    this.offlineTable = offlineStoreTable(name, args, { parent: this });
    this.workgroupName = labelsWorkgroup(name, args, { parent: this });
    this.registerOutputs({
      featureGroupName: this.featureGroupName,
      featureGroupArn: this.featureGroupArn,
      roleArn: this.roleArn,
      offlineTable: this.offlineTable,
      workgroupName: this.workgroupName,
    });
  }
}

/** The Glue database and table over the offline store's Parquet files (contracts/labelStoreTable.ts). */
function offlineStoreTable(name: string, args: LabelStoreArgs, opts: pulumi.CustomResourceOptions) {
  const names = labelStoreCatalogNames(args.namePrefix);
  const database = new aws.glue.CatalogDatabase(
    `${name}-database`,
    { name: names.database, description: "The label store's history (the feature group's offline store)" },
    opts,
  );
  const table = new aws.glue.CatalogTable(
    `${name}-offline-table`,
    {
      name: names.table,
      databaseName: database.name,
      tableType: "EXTERNAL_TABLE",
      description: "Every put of the label feature group, as Feature Store writes it to the offline store",
      parameters: { classification: "parquet", EXTERNAL: "TRUE" },
      storageDescriptor: {
        location: pulumi.interpolate`s3://${args.bucketName}/${DATA_LAKE_PREFIXES.labelStoreOffline}`,
        inputFormat: "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
        outputFormat: "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
        serDeInfo: { serializationLibrary: "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe" },
        columns: labelStoreGlueColumns(),
      },
    },
    opts,
  );
  return { databaseName: database.name, tableName: table.name };
}

/**
 * The workgroup of the label queries (BuildDataset's split, `pipeline labels`): its own, because a dataset of millions
 * of labels scans more than the results workgroup's per-query limit is meant to allow.
 */
function labelsWorkgroup(name: string, args: LabelStoreArgs, opts: pulumi.CustomResourceOptions) {
  const workgroup = new aws.athena.Workgroup(
    `${name}-workgroup`,
    {
      name: labelStoreCatalogNames(args.namePrefix).workgroup,
      description: "Queries of the label store's history",
      forceDestroy: true,
      configuration: workgroupConfiguration(args.bucketName),
    },
    opts,
  );
  return workgroup.name;
}
