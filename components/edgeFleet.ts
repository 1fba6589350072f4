import * as path from "node:path";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { componentArtifactKey, INFERENCE_RECIPE_FILE, inferenceComponentVersion } from "../contracts/modelComponent";
import { inferenceComponentRecipe } from "../edge/recipe";
import { partitionOf } from "../lib/deepLearningContainers";
import { coreDevicePolicyStatements, tokenExchangeStatements } from "../cloud/edgePolicies";
import type { CoreDevice, EdgeArtifact } from "../cloud/fleet";
import { policyDocument, serviceTrustPolicy } from "../cloud/iam";
import { DeviceResultsRule } from "./deviceResultsRule";

export interface EdgeFleetArgs {
  namePrefix: string;
  region: string;
  accountId: pulumi.Input<string>;
  bucketName: pulumi.Input<string>;
  bucketArn: pulumi.Input<string>;
  thingGroupName: string;
  /** Thing names of the core devices to register. */
  coreDevices: string[];
  architecture: "x64" | "arm64";
  topic: string;
  imagesDir: string;
  intervalSeconds: number;
  /** Which images devices send back to the data lake for labeling (edge/src/sampling.ts). */
  uncertainty: { maxScore: number; band: [number, number] | null; maxPerHour: number; randomRate: number };
  inferenceComponentName: string;
  modelComponentName: string;
  artifact: pulumi.Input<EdgeArtifact>;
}

/**
 * The edge side of a stack, ready for the pipeline's deployments: the fleet's thing group, its core devices (each an
 * IoT thing with a certificate whose policy lets it act only as itself), the token exchange role and its alias, and
 * the inference component's artifact and recipe in the data lake. Deployments target the group, never one device.
 */
export class EdgeFleet extends pulumi.ComponentResource {
  public readonly thingGroupName: pulumi.Output<string>;
  public readonly thingGroupArn: pulumi.Output<string>;
  public readonly roleAliasName: pulumi.Output<string>;
  public readonly tokenExchangeRoleArn: pulumi.Output<string>;
  public readonly devices: CoreDevice[];
  public readonly iotDataEndpoint: pulumi.Output<string>;
  public readonly iotCredentialsEndpoint: pulumi.Output<string>;
  public readonly inferenceComponentVersion: pulumi.Output<string>;
  public readonly inferenceArtifactUri: pulumi.Output<string>;
  public readonly inferenceRecipeKey: pulumi.Output<string>;

  constructor(name: string, args: EdgeFleetArgs, opts?: pulumi.ComponentResourceOptions) {
    super("qualityinspection:edge:EdgeFleet", name, {}, opts);
    const { namePrefix, region, accountId } = args;
    const partition = partitionOf(region);
    const parent = { parent: this };

    const thingGroup = new aws.iot.ThingGroup(
      `${name}-thing-group`,
      { name: args.thingGroupName, properties: { description: `Core devices of the ${namePrefix} fleet` } },
      parent,
    );

    // Components on a device get AWS credentials through this role, via the IoT credentials provider.
    const { tokenExchangeRole, roleAlias } = this.tokenExchange(name, args);

    const policy = new aws.iot.Policy(
      `${name}-core-device-policy`,
      {
        name: `${namePrefix}-core-device`,
        policy: policyDocument(
          coreDevicePolicyStatements({
            partition,
            region,
            accountId,
            topic: args.topic,
            roleAliasName: `${namePrefix}-token-exchange`,
            componentNames: [args.inferenceComponentName, args.modelComponentName],
          }),
          { sids: false },
        ),
      },
      parent,
    );

    this.devices = args.coreDevices.map((thingName) =>
      this.coreDevice(name, namePrefix, thingName, thingGroup, policy),
    );

    const endpoint = (endpointType: string) =>
      aws.iot.getEndpointOutput({ endpointType }, { parent: this }).endpointAddress;
    this.iotDataEndpoint = endpoint("iot:Data-ATS");
    this.iotCredentialsEndpoint = endpoint("iot:CredentialProvider");

    const { version, artifactUri, recipeObject } = this.inferenceComponent(name, args);
    new DeviceResultsRule(name, args, parent);

    this.thingGroupName = thingGroup.name;
    this.thingGroupArn = thingGroup.arn;
    this.roleAliasName = roleAlias.alias;
    this.tokenExchangeRoleArn = tokenExchangeRole.arn;
    this.inferenceComponentVersion = version;
    this.inferenceArtifactUri = artifactUri;
    this.inferenceRecipeKey = recipeObject.key;
    this.registerOutputs({
      thingGroupName: this.thingGroupName,
      roleAliasName: this.roleAliasName,
      inferenceComponentVersion: this.inferenceComponentVersion,
      inferenceArtifactUri: this.inferenceArtifactUri,
    });
  }

  /** The token exchange role, its access, and the role alias the devices' certificates may assume it through. */
  private tokenExchange(name: string, args: EdgeFleetArgs) {
    const { namePrefix, region, accountId, bucketArn } = args;
    const partition = partitionOf(region);
    const parent = { parent: this };
    const tokenExchangeRole = new aws.iam.Role(
      `${name}-token-exchange-role`,
      {
        description: "Greengrass token exchange role of the fleet's core devices",
        // The IoT credentials provider is not documented to send aws:SourceAccount (see serviceTrustPolicy).
        assumeRolePolicy: serviceTrustPolicy("credentials.iot.amazonaws.com"),
      },
      parent,
    );
    new aws.iam.RolePolicy(
      `${name}-token-exchange-access`,
      {
        role: tokenExchangeRole.id,
        policy: policyDocument(tokenExchangeStatements({ partition, region, accountId, bucketArn })),
      },
      parent,
    );
    const roleAlias = new aws.iot.RoleAlias(
      `${name}-role-alias`,
      { alias: `${namePrefix}-token-exchange`, roleArn: tokenExchangeRole.arn, credentialDuration: 3600 },
      parent,
    );
    return { tokenExchangeRole, roleAlias };
  }

  /**
   * The inference component's artifact, content-addressed: a new build is a new version and key, an unchanged build
   * the same object, so `pulumi up` uploads it only when it changed. Its recipe travels beside it.
   */
  private inferenceComponent(name: string, args: EdgeFleetArgs) {
    const { region, bucketName } = args;
    const parent = { parent: this };
    const artifact = pulumi.output(args.artifact);
    const version = artifact.apply((a) => inferenceComponentVersion(a.sha256));
    const artifactKey = pulumi
      .all([artifact, version])
      .apply(([a, v]) => componentArtifactKey(args.inferenceComponentName, v, path.basename(a.zipPath)));
    const artifactObject = new aws.s3.BucketObjectv2(
      `${name}-inference-artifact`,
      {
        bucket: bucketName,
        key: artifactKey,
        source: artifact.apply((a) => new pulumi.asset.FileAsset(a.zipPath)),
        contentType: "application/zip",
      },
      parent,
    );
    const artifactUri = pulumi.interpolate`s3://${bucketName}/${artifactObject.key}`;
    // The recipe travels beside it; the pipeline's deploy stage creates the component version from it (Pulumi has
    // no Greengrass component resource, and the deploy stage already creates the model component's versions).
    const recipeObject = new aws.s3.BucketObjectv2(
      `${name}-inference-recipe`,
      {
        bucket: bucketName,
        key: version.apply((v) => componentArtifactKey(args.inferenceComponentName, v, INFERENCE_RECIPE_FILE)),
        content: pulumi.all([version, artifactUri, bucketName]).apply(([componentVersion, artifactUri, bucket]) =>
          JSON.stringify(
            inferenceComponentRecipe({
              componentName: args.inferenceComponentName,
              componentVersion,
              artifactUri,
              modelComponentName: args.modelComponentName,
              architecture: args.architecture,
              topic: args.topic,
              intervalSeconds: args.intervalSeconds,
              imagesDir: args.imagesDir,
              transport: "greengrass-ipc",
              uploadBucket: bucket,
              uploadRegion: region,
              uncertaintyMaxScore: args.uncertainty.maxScore,
              uncertaintyBand: args.uncertainty.band,
              uncertaintyMaxPerHour: args.uncertainty.maxPerHour,
              uncertaintyRandomRate: args.uncertainty.randomRate,
            }),
            null,
            2,
          ),
        ),
        contentType: "application/json",
      },
      parent,
    );
    return { version, artifactUri, recipeObject };
  }

  /** A core device: thing, certificate (AWS-generated key pair), policy, group membership, and its secrets in SSM. */
  private coreDevice(
    name: string,
    namePrefix: string,
    thingName: string,
    thingGroup: aws.iot.ThingGroup,
    policy: aws.iot.Policy,
  ): CoreDevice {
    const parent = { parent: this };
    const id = `${name}-${thingName}`;
    const thing = new aws.iot.Thing(`${id}-thing`, { name: thingName }, parent);
    const certificate = new aws.iot.Certificate(`${id}-certificate`, { active: true }, parent);
    const attachments = [
      new aws.iot.ThingPrincipalAttachment(
        `${id}-principal`,
        { thing: thing.name, principal: certificate.arn },
        parent,
      ),
      new aws.iot.PolicyAttachment(`${id}-policy`, { policy: policy.name, target: certificate.arn }, parent),
      new aws.iot.ThingGroupMembership(
        `${id}-membership`,
        { thingName: thing.name, thingGroupName: thingGroup.name },
        parent,
      ),
    ];
    const secret = (kind: string, value: pulumi.Output<string>) =>
      new aws.ssm.Parameter(
        `${id}-${kind}`,
        {
          name: `/${namePrefix}/devices/${thingName}/${kind}`,
          description: `${kind} of Greengrass core device ${thingName}`,
          type: "SecureString",
          value,
        },
        parent,
      );
    const certificatePem = secret("certificate-pem", certificate.certificatePem);
    const privateKey = secret("private-key", certificate.privateKey);
    return {
      thingName,
      certificateParameterName: certificatePem.name,
      certificateParameterArn: certificatePem.arn,
      privateKeyParameterName: privateKey.name,
      privateKeyParameterArn: privateKey.arn,
      ready: [...attachments, certificatePem, privateKey],
    };
  }
}
