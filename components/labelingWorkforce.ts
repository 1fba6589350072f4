import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface LabelingWorkforceArgs {
  namePrefix: string;
  accountId: pulumi.Input<string>;
}

/**
 * A Cognito-backed private Ground Truth workforce and the workteam that labels this stack's images. An account has
 * one private workforce per region, so only one stack per account and region can create it (config
 * `labeling.createPrivateWorkforce`); other stacks name an existing workteam (`labeling.workteamArn`). Labelers are
 * added as users of the user pool and members of its `labelers` group.
 */
export class LabelingWorkforce extends pulumi.ComponentResource {
  public readonly workteamArn: pulumi.Output<string>;
  /** Where labelers sign in. */
  public readonly labelingPortalUrl: pulumi.Output<string>;
  public readonly userPoolId: pulumi.Output<string>;

  constructor(name: string, args: LabelingWorkforceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("qualityinspection:labeling:LabelingWorkforce", name, {}, opts);
    const { namePrefix, accountId } = args;

    // Only administrators add labelers; nobody signs up by themselves.
    const userPool = new aws.cognito.UserPool(
      `${name}-users`,
      {
        name: `${namePrefix}-labelers`,
        adminCreateUserConfig: { allowAdminCreateUserOnly: true },
        autoVerifiedAttributes: ["email"],
        usernameAttributes: ["email"],
        passwordPolicy: {
          minimumLength: 12,
          requireLowercase: true,
          requireUppercase: true,
          requireNumbers: true,
          requireSymbols: false,
          temporaryPasswordValidityDays: 7,
        },
        mfaConfiguration: "OPTIONAL",
        softwareTokenMfaConfiguration: { enabled: true },
      },
      { parent: this },
    );
    // Ground Truth signs workers in through this app client (it needs a client secret).
    const client = new aws.cognito.UserPoolClient(
      `${name}-client`,
      { name: `${namePrefix}-labeling-portal`, userPoolId: userPool.id, generateSecret: true },
      { parent: this },
    );
    // The hosted sign-in domain: unique per region, hence the account id.
    const domain = new aws.cognito.UserPoolDomain(
      `${name}-domain`,
      { domain: pulumi.interpolate`${namePrefix}-labeling-${accountId}`, userPoolId: userPool.id },
      { parent: this },
    );
    const group = new aws.cognito.UserGroup(
      `${name}-labelers`,
      { name: "labelers", userPoolId: userPool.id, description: "People who label inspection images" },
      { parent: this },
    );
    const workforce = new aws.sagemaker.Workforce(
      `${name}-workforce`,
      { workforceName: `${namePrefix}-workforce`, cognitoConfig: { clientId: client.id, userPool: userPool.id } },
      { parent: this, dependsOn: [domain] },
    );
    const workteam = new aws.sagemaker.Workteam(
      `${name}-workteam`,
      {
        workteamName: `${namePrefix}-labelers`,
        workforceName: workforce.id,
        description: "Labels scratches on images of machined parts",
        memberDefinitions: [
          { cognitoMemberDefinition: { clientId: client.id, userPool: userPool.id, userGroup: group.name } },
        ],
      },
      { parent: this },
    );

    this.workteamArn = workteam.arn;
    this.labelingPortalUrl = pulumi.interpolate`https://${workforce.subdomain}`;
    this.userPoolId = userPool.id;
    this.registerOutputs({
      workteamArn: this.workteamArn,
      labelingPortalUrl: this.labelingPortalUrl,
      userPoolId: this.userPoolId,
    });
  }
}
