import * as aws from "@pulumi/aws";
import * as awsx from "@pulumi/awsx";
import * as pulumi from "@pulumi/pulumi";
import { DATA_LAKE_PREFIXES } from "../contracts/dataLake";
import type { CoreDevice } from "../cloud/fleet";
import { objectsUnder, policyDocument, serviceTrustPolicy } from "../cloud/iam";
import { simulatedDeviceUserData } from "../cloud/simulatedDeviceUserData";

export interface SimulatedDeviceArgs {
  region: string;
  accountId: pulumi.Input<string>;
  device: CoreDevice;
  instanceType: string;
  architecture: "x64" | "arm64";
  thingGroupName: pulumi.Input<string>;
  roleAliasName: pulumi.Input<string>;
  iotDataEndpoint: pulumi.Input<string>;
  iotCredentialsEndpoint: pulumi.Input<string>;
  nucleusVersion: string;
  imagesDir: string;
  bucketName: pulumi.Input<string>;
  bucketArn: pulumi.Input<string>;
}

/** Sample images the simulated camera starts with. */
const SAMPLE_IMAGES = 50;

/**
 * An EC2 instance that runs Greengrass as one of the fleet's core devices, for trying the pipeline without hardware.
 * It sits in a public subnet of its own VPC with no inbound rule at all (reach it with SSM Session Manager); it needs
 * outbound HTTPS and MQTT only.
 */
export class SimulatedDevice extends pulumi.ComponentResource {
  public readonly instanceId: pulumi.Output<string>;

  constructor(name: string, args: SimulatedDeviceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("qualityinspection:edge:SimulatedDevice", name, {}, opts);
    const { device } = args;

    const { vpc, securityGroup } = this.network(name);
    const profile = this.instanceProfile(name, args);

    const instance = new aws.ec2.Instance(
      `${name}-instance`,
      {
        ami: this.amazonLinux(args.architecture).id,
        instanceType: args.instanceType,
        subnetId: vpc.publicSubnetIds.apply((ids) => ids[0]),
        vpcSecurityGroupIds: [securityGroup.id],
        associatePublicIpAddress: true,
        iamInstanceProfile: profile.name,
        metadataOptions: { httpTokens: "required", httpEndpoint: "enabled" },
        rootBlockDevice: { volumeSize: 20, volumeType: "gp3", encrypted: true },
        userData: this.userData(args),
        userDataReplaceOnChange: true,
        tags: { Name: device.thingName },
      },
      // The device connects as soon as it boots: its certificate, policy and group membership must exist first.
      { parent: this, dependsOn: device.ready },
    );

    this.instanceId = instance.id;
    this.registerOutputs({ instanceId: this.instanceId });
  }

  /** One public subnet and no NAT gateway: the device reaches AWS through the internet gateway; nothing reaches it. */
  private network(name: string) {
    const parent = { parent: this };
    const vpc = new awsx.ec2.Vpc(
      `${name}-vpc`,
      {
        cidrBlock: "10.42.0.0/24",
        numberOfAvailabilityZones: 1,
        subnetStrategy: "Auto",
        subnetSpecs: [{ type: "Public", cidrMask: 26 }],
        natGateways: { strategy: "None" },
        enableDnsHostnames: true,
      },
      // awsx builds the VPC in its own plugin, which sees only the providers handed to it, not this one's inherited.
      { parent: this, providers: [this.getProvider("aws:ec2:Vpc")].filter((p) => p !== undefined) },
    );
    const securityGroup = new aws.ec2.SecurityGroup(
      `${name}-security-group`,
      {
        vpcId: vpc.vpcId,
        description: "Simulated core device: no inbound access, outbound HTTPS and MQTT over TLS only",
        egress: [443, 8883].map((port) => ({
          protocol: "tcp",
          fromPort: port,
          toPort: port,
          cidrBlocks: ["0.0.0.0/0"],
          description: port === 443 ? "HTTPS: AWS APIs, packages, Greengrass" : "MQTT over TLS to AWS IoT Core",
        })),
      },
      parent,
    );
    return { vpc, securityGroup };
  }

  /** The instance's role: Session Manager, the device's own identity parameters, and the sample images. */
  private instanceProfile(name: string, args: SimulatedDeviceArgs) {
    const { device, bucketArn } = args;
    const parent = { parent: this };
    const role = new aws.iam.Role(
      `${name}-role`,
      {
        description: `Instance role of the simulated core device ${device.thingName}`,
        // EC2 instance profiles are not documented to send aws:SourceAccount (see serviceTrustPolicy).
        assumeRolePolicy: serviceTrustPolicy("ec2.amazonaws.com"),
      },
      parent,
    );
    // Session Manager access instead of SSH: the AWS-managed core policy is exactly what the SSM agent needs.
    new aws.iam.RolePolicyAttachment(
      `${name}-session-manager`,
      { role: role.name, policyArn: "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore" },
      parent,
    );
    new aws.iam.RolePolicy(
      `${name}-access`,
      {
        role: role.id,
        policy: policyDocument([
          {
            sid: "ReadOwnIdentity",
            actions: ["ssm:GetParameter"],
            resources: [device.certificateParameterArn, device.privateKeyParameterArn],
          },
          {
            sid: "ReadSampleImages",
            actions: ["s3:GetObject"],
            resources: [objectsUnder(bucketArn, DATA_LAKE_PREFIXES.images)],
          },
          {
            sid: "ListSampleImages",
            actions: ["s3:ListBucket"],
            resources: [bucketArn],
            conditions: { StringLike: { "s3:prefix": [`${DATA_LAKE_PREFIXES.images}*`] } },
          },
        ]),
      },
      parent,
    );
    return new aws.iam.InstanceProfile(`${name}-profile`, { role: role.name }, parent);
  }

  /** The current Amazon Linux 2023 image of the device's CPU, looked up in the stack's region. */
  private amazonLinux(architecture: SimulatedDeviceArgs["architecture"]) {
    const amiArchitecture = architecture === "x64" ? "x86_64" : "arm64";
    return aws.ec2.getAmiOutput(
      {
        owners: ["amazon"],
        mostRecent: true,
        filters: [
          { name: "name", values: [`al2023-ami-2023.*-kernel-*-${amiArchitecture}`] },
          { name: "architecture", values: [amiArchitecture] },
          { name: "state", values: ["available"] },
        ],
      },
      { parent: this },
    );
  }

  /** Cloud-init script that installs Greengrass as the device and copies sample images (cloud/simulatedDeviceUserData.ts). */
  private userData(args: SimulatedDeviceArgs): pulumi.Output<string> {
    const { device } = args;
    return pulumi
      .all([
        args.thingGroupName,
        args.roleAliasName,
        args.iotDataEndpoint,
        args.iotCredentialsEndpoint,
        device.certificateParameterName,
        device.privateKeyParameterName,
        args.bucketName,
      ])
      .apply(([thingGroupName, roleAliasName, iotDataEndpoint, iotCredentialsEndpoint, cert, key, bucket]) =>
        simulatedDeviceUserData({
          region: args.region,
          thingName: device.thingName,
          thingGroupName,
          roleAliasName,
          iotDataEndpoint,
          iotCredentialsEndpoint,
          certificateParameter: cert,
          privateKeyParameter: key,
          nucleusVersion: args.nucleusVersion,
          architecture: args.architecture,
          imagesDir: args.imagesDir,
          bucketName: bucket,
          sampleImagesPrefix: DATA_LAKE_PREFIXES.images,
          sampleImages: SAMPLE_IMAGES,
        }),
      );
  }
}
