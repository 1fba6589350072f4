import * as pulumi from "@pulumi/pulumi";
import { DATA_LAKE_PREFIXES, DEVICE_IMAGES_PREFIX } from "../contracts/dataLake";
import { errorTopicOf } from "../contracts/inferenceMessages";
import { objectsUnder, PolicyStatement } from "./iam";

/** The thing name of the connected device, as AWS IoT resolves it from the device's certificate and client id. */
const THING = "${iot:Connection.Thing.ThingName}";
/**
 * The thing name in an IAM policy of a role the IoT credentials provider issued credentials for: the thing the
 * request named (`x-amzn-iot-thingname`, which the Greengrass nucleus sends) and the certificate is attached to.
 */
export const CREDENTIALS_THING = "${credentials-iot:ThingName}";

export interface CoreDevicePolicyArgs {
  partition: string;
  region: string;
  accountId: pulumi.Input<string>;
  /** Result topic; devices may publish it and `<topic>/errors`, nothing else of ours. */
  topic: string;
  roleAliasName: string;
  /** Components a device may download: the stack's inference and model components. */
  componentNames: string[];
}

/**
 * The AWS IoT policy of every core device of the fleet. One policy serves all devices: policy variables scope each
 * statement to the connected thing, so a device connects only as itself and touches only its own reserved topics,
 * shadow and deployments. This is the Greengrass nucleus's minimal set plus our two result topics.
 */
export function coreDevicePolicyStatements(args: CoreDevicePolicyArgs): PolicyStatement[] {
  const { partition, region, accountId } = args;
  const iot = (resource: string) => pulumi.interpolate`arn:${partition}:iot:${region}:${accountId}:${resource}`;
  const greengrass = (resource: string) =>
    pulumi.interpolate`arn:${partition}:greengrass:${region}:${accountId}:${resource}`;
  // Topics the nucleus itself uses: deployments (jobs), shadows, and its health reports.
  const reserved = ["jobs/*", "shadow/*", "greengrass/*", "greengrassv2/*"];
  return [
    { sid: "ConnectAsItself", actions: ["iot:Connect"], resources: [iot(`client/${THING}`)] },
    {
      sid: "PublishInspectionResults",
      actions: ["iot:Publish"],
      resources: [args.topic, errorTopicOf(args.topic)].map((topic) => iot(`topic/${topic}`)),
    },
    {
      sid: "UseOwnReservedTopics",
      actions: ["iot:Publish", "iot:Receive"],
      resources: reserved.map((suffix) => iot(`topic/$aws/things/${THING}/${suffix}`)),
    },
    {
      sid: "SubscribeOwnReservedTopics",
      actions: ["iot:Subscribe"],
      resources: reserved.map((suffix) => iot(`topicfilter/$aws/things/${THING}/${suffix}`)),
    },
    {
      sid: "UseOwnShadow",
      actions: ["iot:GetThingShadow", "iot:UpdateThingShadow", "iot:DeleteThingShadow"],
      resources: [iot(`thing/${THING}`)],
    },
    {
      sid: "GetAwsCredentials",
      actions: ["iot:AssumeRoleWithCertificate"],
      resources: [iot(`rolealias/${args.roleAliasName}`)],
    },
    {
      sid: "DownloadStackComponents",
      actions: ["greengrass:GetComponentVersionArtifact"],
      resources: args.componentNames.map((name) => greengrass(`components:${name}:versions:*`)),
    },
    {
      sid: "ReadOwnDeployments",
      actions: ["greengrass:GetDeploymentConfiguration", "greengrass:ListThingGroupsForCoreDevice"],
      resources: [greengrass("deployments:*"), iot(`thing/${THING}`)],
    },
    {
      // ResolveComponentCandidates has no resource-level permissions: AWS requires Resource "*".
      sid: "ResolveComponents",
      actions: ["greengrass:ResolveComponentCandidates"],
      resources: ["*"],
    },
  ];
}

export interface TokenExchangeArgs {
  partition: string;
  region: string;
  accountId: pulumi.Input<string>;
  bucketArn: pulumi.Input<string>;
}

/**
 * What components on a device may do with AWS credentials (the Greengrass token exchange role): download the stack's
 * component artifacts from the data lake, send images back for labeling into the device's own folder, and write
 * Greengrass logs. Nothing else.
 */
export function tokenExchangeStatements(args: TokenExchangeArgs): PolicyStatement[] {
  const { partition, region, accountId, bucketArn } = args;
  const logGroups = pulumi.interpolate`arn:${partition}:logs:${region}:${accountId}:log-group:/aws/greengrass/*`;
  return [
    {
      sid: "DownloadComponentArtifacts",
      actions: ["s3:GetObject"],
      resources: [objectsUnder(bucketArn, DATA_LAKE_PREFIXES.components)],
    },
    // Greengrass asks for the bucket's region before it downloads an artifact.
    { sid: "LocateArtifactBucket", actions: ["s3:GetBucketLocation"], resources: [bucketArn] },
    {
      // Write only, and only the device's own folder: a device can neither read images nor touch another's.
      sid: "SendImagesForLabeling",
      actions: ["s3:PutObject"],
      resources: [objectsUnder(bucketArn, `${DEVICE_IMAGES_PREFIX}${CREDENTIALS_THING}/`)],
    },
    {
      sid: "WriteGreengrassLogs",
      actions: ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
      resources: [logGroups, pulumi.interpolate`${logGroups}:*`],
    },
  ];
}
