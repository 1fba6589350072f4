import { readFileSync } from "node:fs";
import * as path from "node:path";
import { expect } from "chai";
import { parseStackConfig, PROJECT } from "../config/schema";
import { DATA_LAKE_PREFIXES } from "../contracts/dataLake";
import { labelFeatureDefinitions } from "../contracts/labelRecord";
import { createInfrastructure } from "../infrastructure";
import { ProgramRun, PROJECT_DIR, promiseOf, readStack, runProgram, runStack } from "./harness/pulumiProgram";

const STACKS = ["dev", "prod"] as const;

/** The custom resources every stack must have, as "type name". */
const FOUNDATION_INVENTORY = [
  "aws:iam/role:Role labels-offline-store-role",
  "aws:iam/role:Role sagemaker-execution-role",
  "aws:iam/rolePolicy:RolePolicy labels-offline-store-access",
  "aws:iam/rolePolicy:RolePolicy sagemaker-execution-access",
  "aws:s3/bucket:Bucket data-lake-bucket",
  "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration data-lake-lifecycle",
  "aws:s3/bucketOwnershipControls:BucketOwnershipControls data-lake-ownership",
  "aws:s3/bucketPolicy:BucketPolicy data-lake-tls-only",
  "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock data-lake-public-access-block",
  "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration data-lake-encryption",
  "aws:s3/bucketVersioning:BucketVersioning data-lake-versioning",
  "aws:sagemaker/featureGroup:FeatureGroup labels-feature-group",
  "aws:sagemaker/modelPackageGroup:ModelPackageGroup models-group",
];

/**
 * The URNs (after `urn:pulumi:<stack>::<project>::`) of the custom resources each stack held before the components
 * were split into smaller ones: an existing stack knows its resources by these.
 */
const STACK_URNS = JSON.parse(readFileSync(path.join(PROJECT_DIR, "test/fixtures/stackUrns.json"), "utf8")) as Record<
  (typeof STACKS)[number],
  string[]
>;

for (const stack of STACKS) {
  describe(`the ${stack} stack`, () => {
    let run: ProgramRun<ReturnType<typeof createInfrastructure>>;
    before(async () => {
      run = await runStack(stack);
    });

    it("creates the foundation resources", () => {
      const inventory = run.resources.filter((r) => r.custom).map((r) => `${r.type} ${r.name}`);
      expect(inventory).to.include.members(FOUNDATION_INVENTORY);
    });

    it("answers to every URN an existing stack knows, itself or by an alias, so `pulumi up` replaces nothing", () => {
      const prefix = `urn:pulumi:${stack}::${PROJECT}::`;
      const known = new Set(
        run.resources.flatMap((r) => [r.urn!, ...r.aliases!]).map((urn) => urn.slice(prefix.length)),
      );
      expect(STACK_URNS[stack]).to.have.length.greaterThan(80);
      expect(STACK_URNS[stack].filter((urn) => !known.has(urn))).to.deep.equal([]);
    });

    it("parents every resource to a component or to the stack itself", () => {
      const components = new Set(run.resources.filter((r) => !r.custom).map((r) => r.urn));
      const strays = run.resources.filter((r) => r.parent && !components.has(r.parent));
      expect(strays.map((r) => `${r.type} ${r.name} (parent ${r.parent})`)).to.deep.equal([]);
      expect(run.resources.filter((r) => r.parent).length, "parents are recorded").to.be.greaterThan(80);
    });

    describe("the data lake bucket", () => {
      it("is versioned", () => {
        const versioning = run.one("aws:s3/bucketVersioning:BucketVersioning");
        expect(versioning.inputs.versioningConfiguration).to.deep.equal({ status: "Enabled" });
      });

      it("is encrypted by default", () => {
        const encryption = run.one(
          "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        );
        const rules = encryption.inputs.rules as { applyServerSideEncryptionByDefault: { sseAlgorithm: string } }[];
        expect(rules.map((r) => r.applyServerSideEncryptionByDefault.sseAlgorithm)).to.deep.equal(["AES256"]);
      });

      it("blocks every kind of public access", () => {
        const block = run.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock");
        expect(block.inputs).to.include({
          blockPublicAcls: true,
          blockPublicPolicy: true,
          ignorePublicAcls: true,
          restrictPublicBuckets: true,
        });
        expect(block.inputs.bucket).to.equal(`${run.one("aws:s3/bucket:Bucket").name}-id`);
      });

      it("denies every request that does not use TLS", () => {
        const policy = JSON.parse(run.one("aws:s3/bucketPolicy:BucketPolicy").inputs.policy as string);
        const bucket = "arn:aws:s3:::data-lake-bucket-0a1b2c3d";
        expect(policy.Statement).to.deep.include({
          Sid: "DenyInsecureTransport",
          Effect: "Deny",
          Principal: "*",
          Action: ["s3:*"],
          Resource: [bucket, `${bucket}/*`],
          Condition: { Bool: { "aws:SecureTransport": ["false"] } },
        });
      });

      it("expires temporary objects and old versions", () => {
        const lifecycle = run.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration");
        const config = parseStackConfig(readStack(stack), stack);
        const rules = lifecycle.inputs.rules as Record<string, unknown>[];
        expect(rules).to.deep.include({
          id: "expire-tmp",
          status: "Enabled",
          filter: { prefix: DATA_LAKE_PREFIXES.tmp },
          expiration: { days: config.dataLake.tmpExpirationDays },
        });
        const versions = rules.find((r) => r.id === "expire-old-versions");
        expect(versions?.noncurrentVersionExpiration).to.deep.equal({
          noncurrentDays: config.dataLake.noncurrentVersionDays,
        });
      });

      it("lets browsers GET objects, for Ground Truth's worker UI, with the rule the pipeline component used to own", () => {
        const cors = run.one("aws:s3/bucketCorsConfiguration:BucketCorsConfiguration");
        expect(cors.name).to.equal("data-lake-cors");
        expect(cors.inputs).to.deep.equal({
          bucket: "data-lake-bucket-0a1b2c3d",
          corsRules: [
            {
              allowedMethods: ["GET"],
              allowedOrigins: ["*"],
              allowedHeaders: [],
              exposeHeaders: ["Access-Control-Allow-Origin"],
              maxAgeSeconds: 3000,
            },
          ],
        });
        expect(cors.aliases).to.include(
          `urn:pulumi:${stack}::${PROJECT}::qualityinspection:pipeline:QualityInspectionPipeline$aws:s3/bucketCorsConfiguration:BucketCorsConfiguration::pipeline-labeling-cors`,
        );
        expect(run.resources.find((r) => r.urn === cors.parent)?.type).to.equal("qualityinspection:storage:DataLake");
      });

      it(`is ${stack === "dev" ? "" : "not "}force-destroyed with the stack`, () => {
        expect(run.one("aws:s3/bucket:Bucket").inputs.forceDestroy).to.equal(stack === "dev");
      });
    });

    describe("the label store", () => {
      it("has the label record's schema, keyed by image id and event time", () => {
        const group = run.one("aws:sagemaker/featureGroup:FeatureGroup").inputs;
        expect(group.featureGroupName).to.equal(`qi-${stack}-labels`);
        expect(group.recordIdentifierFeatureName).to.equal("image_id");
        expect(group.eventTimeFeatureName).to.equal("event_time");
        expect(group.featureDefinitions).to.deep.equal(labelFeatureDefinitions);
        expect((group.featureDefinitions as { featureName: string }[]).map((f) => f.featureName)).to.have.members([
          "image_id",
          "event_time",
          "source_ref",
          "image_width",
          "image_height",
          "image_depth",
          "annotations",
          "labeling_job",
          "status",
        ]);
      });

      it("serves look-ups online and keeps history offline in the data lake", () => {
        const group = run.one("aws:sagemaker/featureGroup:FeatureGroup").inputs;
        expect(group.onlineStoreConfig).to.deep.include({ enableOnlineStore: true });
        expect(group.offlineStoreConfig).to.deep.include({
          s3StorageConfig: { s3Uri: `s3://data-lake-bucket-0a1b2c3d/${DATA_LAKE_PREFIXES.labelStoreOffline}` },
        });
        expect(group.roleArn).to.equal("arn:aws:iam::123456789012:role/labels-offline-store-role");
      });
    });

    it("has a model package group for the stack", () => {
      const group = run.one("aws:sagemaker/modelPackageGroup:ModelPackageGroup").inputs;
      expect(group.modelPackageGroupName).to.equal(`qi-${stack}-scratch-detector`);
    });

    it("exposes the names and ARNs other tools need", async () => {
      const { dataLake, labelStore, modelRegistry, sagemakerRole } = run.result;
      expect(await promiseOf(dataLake.bucketName)).to.equal("data-lake-bucket-0a1b2c3d");
      expect(await promiseOf(labelStore.featureGroupName)).to.equal(`qi-${stack}-labels`);
      expect(await promiseOf(modelRegistry.modelPackageGroupName)).to.equal(`qi-${stack}-scratch-detector`);
      expect(await promiseOf(sagemakerRole.roleArn)).to.match(/^arn:aws:iam::\d{12}:role\//);
    });
  });
}

describe("index.ts", () => {
  it("reads the stack config and exports the stack outputs", async () => {
    // The program runs when the module loads, so it is required inside the mocked run, not imported at the top.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const run = await runProgram("dev", () => require("../index") as Record<string, unknown>);
    const outputs = run.result;
    expect(Object.keys(outputs).sort()).to.deep.equal([
      "alertsTopicArn",
      "bucketName",
      "coreDeviceCertificateParameters",
      "coreDeviceThingNames",
      "deviceHealthCommand",
      "featureGroupName",
      "featureStoreRoleArn",
      "inferenceArtifactUri",
      "inferenceComponentVersion",
      "iotCredentialsEndpoint",
      "iotDataEndpoint",
      "labelingPortalUrl",
      "modelPackageGroupName",
      "pipelineLogGroupName",
      "roleAliasName",
      "sagemakerExecutionRoleArn",
      "simulatedDeviceInstanceId",
      "stateMachineArn",
      "stateMachineName",
      "thingGroupName",
      "trainingCodeUri",
    ]);
    expect(run.one("aws:sagemaker/featureGroup:FeatureGroup").inputs.featureGroupName).to.equal("qi-dev-labels");
  });
});
