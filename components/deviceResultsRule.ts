import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { DATA_LAKE_PREFIXES } from "../contracts/dataLake";
import { objectsUnder, policyDocument, serviceTrustPolicy } from "../cloud/iam";

export interface DeviceResultsRuleArgs {
  namePrefix: string;
  accountId: pulumi.Input<string>;
  /** The detectors' results topic. */
  topic: string;
  bucketName: pulumi.Input<string>;
  bucketArn: pulumi.Input<string>;
}

/**
 * Stores every result message as its device's latest, `device-results/<thingName>.json` in the data lake: the
 * pipeline's CheckFleetResults reads them to see the fleet run a new model (the offline run does the same in
 * offline/deviceResults.ts). Resources are named `${name}-device-results`, `-role` and `-access`.
 */
export class DeviceResultsRule extends pulumi.ComponentResource {
  public readonly ruleName: pulumi.Output<string>;

  constructor(name: string, args: DeviceResultsRuleArgs, opts?: pulumi.ComponentResourceOptions) {
    super("qualityinspection:edge:DeviceResultsRule", name, {}, opts);
    const parent = { parent: this };
    const role = new aws.iam.Role(
      `${name}-device-results-role`,
      {
        description: "Lets the IoT rule store each device's latest result in the data lake",
        assumeRolePolicy: serviceTrustPolicy("iot.amazonaws.com", args.accountId),
      },
      parent,
    );
    new aws.iam.RolePolicy(
      `${name}-device-results-access`,
      {
        role: role.id,
        policy: policyDocument([
          {
            sid: "StoreLatestResults",
            actions: ["s3:PutObject"],
            resources: [objectsUnder(args.bucketArn, DATA_LAKE_PREFIXES.deviceResults)],
          },
        ]),
      },
      parent,
    );
    const rule = new aws.iot.TopicRule(
      `${name}-device-results`,
      {
        // Rule names allow letters, digits and underscores only.
        name: `${args.namePrefix.replace(/[^A-Za-z0-9]/g, "_")}_device_results`,
        description: "Stores each device's latest detector result for the pipeline's deployment check",
        enabled: true,
        sql: `SELECT * FROM '${args.topic}'`,
        sqlVersion: "2016-03-23",
        s3: [
          {
            bucketName: args.bucketName,
            // An IoT substitution template: the message's own thingName.
            key: `${DATA_LAKE_PREFIXES.deviceResults}\${thingName}.json`,
            roleArn: role.arn,
          },
        ],
      },
      parent,
    );
    this.ruleName = rule.name;
    this.registerOutputs({ ruleName: this.ruleName });
  }
}
