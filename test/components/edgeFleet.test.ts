import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { expect } from "chai";
import { simulatedDeviceUserData, UserDataArgs } from "../../cloud/simulatedDeviceUserData";
import { parseStackConfig } from "../../config/schema";
import { inferenceComponentVersion } from "../../contracts/modelComponent";
import { GreengrassRecipe } from "../../edge/recipe";
import { ProgramRun, readStack, RecordedResource, runStack, testEdgeArtifact } from "../harness/pulumiProgram";

const THING = "${iot:Connection.Thing.ThingName}";
const IOT = "arn:aws:iot:eu-west-1:123456789012";

interface Statement {
  Sid?: string;
  Effect: string;
  Action: string[];
  Resource: string[];
  Principal?: Record<string, string[]>;
  Condition?: unknown;
}
const statementsOf = (resource: RecordedResource, property = "policy") =>
  (JSON.parse(resource.inputs[property] as string) as { Statement: Statement[] }).Statement;

for (const stack of ["dev", "prod"] as const) {
  describe(`the edge fleet of the ${stack} stack`, () => {
    const config = parseStackConfig(readStack(stack), stack);
    let run: ProgramRun<unknown>;
    before(async () => {
      run = await runStack(stack);
    });

    it("has one thing group, the target of every deployment", () => {
      expect(run.one("aws:iot/thingGroup:ThingGroup").inputs.name).to.equal(`qi-${stack}-fleet`);
    });

    it("registers each configured core device in the group, with its own certificate and secrets", () => {
      const things = run.ofType("aws:iot/thing:Thing").map((t) => t.inputs.name);
      expect(things).to.deep.equal(config.edge.coreDevices);
      expect(run.ofType("aws:iot/certificate:Certificate").map((c) => c.inputs.active)).to.deep.equal(
        things.map(() => true),
      );
      const memberships = run.ofType("aws:iot/thingGroupMembership:ThingGroupMembership");
      expect(memberships.map((m) => m.inputs)).to.deep.equal(
        things.map((thingName) => ({ thingName, thingGroupName: `qi-${stack}-fleet` })),
      );
      const attachments = run.ofType("aws:iot/policyAttachment:PolicyAttachment");
      expect(attachments.map((a) => a.inputs.policy)).to.deep.equal(things.map(() => `qi-${stack}-core-device`));
      const parameters = run.ofType("aws:ssm/parameter:Parameter").map((p) => p.inputs);
      expect(parameters.map((p) => p.name)).to.deep.equal(
        things.flatMap((t) => [`/qi-${stack}/devices/${t}/certificate-pem`, `/qi-${stack}/devices/${t}/private-key`]),
      );
      expect(parameters.every((p) => p.type === "SecureString")).to.equal(true);
    });

    describe("the core devices' IoT policy", () => {
      let statements: Statement[];
      before(() => {
        statements = statementsOf(run.one("aws:iot/policy:Policy"));
      });

      it("allows exactly the actions a Greengrass core device and our detector need", () => {
        expect(statements.flatMap((s) => s.Action).sort()).to.deep.equal(
          [
            "greengrass:GetComponentVersionArtifact",
            "greengrass:GetDeploymentConfiguration",
            "greengrass:ListThingGroupsForCoreDevice",
            "greengrass:ResolveComponentCandidates",
            "iot:AssumeRoleWithCertificate",
            "iot:Connect",
            "iot:DeleteThingShadow",
            "iot:GetThingShadow",
            "iot:Publish",
            "iot:Publish",
            "iot:Receive",
            "iot:Subscribe",
            "iot:UpdateThingShadow",
          ].sort(),
        );
        expect(statements.every((s) => s.Effect === "Allow" && !("Sid" in s))).to.equal(true);
      });

      it("lets a device connect only as itself", () => {
        const connect = statements.filter((s) => s.Action.includes("iot:Connect"));
        expect(connect.flatMap((s) => s.Resource)).to.deep.equal([`${IOT}:client/${THING}`]);
      });

      it("lets a device publish only the result and error topics, and its own reserved topics", () => {
        const published = statements.filter((s) => s.Action.includes("iot:Publish")).flatMap((s) => s.Resource);
        const ours = published.filter((r) => !r.includes("$aws/things/"));
        expect(ours).to.deep.equal([`${IOT}:topic/${config.edge.topic}`, `${IOT}:topic/${config.edge.topic}/errors`]);
        for (const reserved of published.filter((r) => r.includes("$aws/things/"))) {
          expect(reserved).to.match(new RegExp(`:topic/\\$aws/things/${THING.replace(/[${}]/g, "\\$&")}/`));
        }
      });

      it("scopes every thing, shadow and topic resource to the connected thing", () => {
        const perThing = statements
          .flatMap((s) => s.Resource)
          .filter((r) => /:(thing|client|topicfilter)\/|\$aws\/things/.test(r));
        expect(perThing.length).to.be.greaterThan(5);
        for (const resource of perThing) expect(resource).to.contain(THING);
      });

      it("assumes only the fleet's role alias and downloads only the stack's components", () => {
        const byAction = (action: string) => statements.find((s) => s.Action.includes(action))!.Resource;
        expect(byAction("iot:AssumeRoleWithCertificate")).to.deep.equal([
          `${IOT}:rolealias/qi-${stack}-token-exchange`,
        ]);
        expect(byAction("greengrass:GetComponentVersionArtifact")).to.deep.equal([
          `arn:aws:greengrass:eu-west-1:123456789012:components:qi-${stack}.ScratchDetector:versions:*`,
          `arn:aws:greengrass:eu-west-1:123456789012:components:qi-${stack}.ScratchDetectorModel:versions:*`,
        ]);
      });
    });

    it("points the role alias at a token exchange role that IoT's credentials provider assumes", () => {
      const alias = run.one("aws:iot/roleAlias:RoleAlias").inputs;
      expect(alias.alias).to.equal(`qi-${stack}-token-exchange`);
      expect(alias.roleArn).to.equal("arn:aws:iam::123456789012:role/fleet-token-exchange-role");
      const role = run.one("aws:iam/role:Role", "fleet-token-exchange-role");
      expect(statementsOf(role, "assumeRolePolicy")[0].Principal).to.deep.equal({
        Service: ["credentials.iot.amazonaws.com"],
      });
    });

    it("lets device components read only component artifacts, write images only into their own device folder, and write Greengrass logs", () => {
      const statements = statementsOf(run.one("aws:iam/rolePolicy:RolePolicy", "fleet-token-exchange-access"));
      const s3 = statements.filter((s) => s.Action.some((a) => a.startsWith("s3:")));
      expect(s3.map((s) => [s.Action, s.Resource])).to.deep.equal([
        [["s3:GetObject"], ["arn:aws:s3:::data-lake-bucket-0a1b2c3d/components/*"]],
        [["s3:GetBucketLocation"], ["arn:aws:s3:::data-lake-bucket-0a1b2c3d"]],
        [["s3:PutObject"], ["arn:aws:s3:::data-lake-bucket-0a1b2c3d/images/devices/${credentials-iot:ThingName}/*"]],
      ]);
      // The only write under images/ is that one; nothing reads images.
      const underImages = s3.filter((s) => s.Resource.some((r) => r.includes("/images/")));
      expect(underImages.flatMap((s) => s.Action)).to.deep.equal(["s3:PutObject"]);
      const logs = statements.find((s) => s.Sid === "WriteGreengrassLogs")!;
      for (const resource of logs.Resource) expect(resource).to.contain(":log-group:/aws/greengrass/");
    });

    it("uploads the inference component and its recipe under a version derived from the package", () => {
      const objects = run.ofType("aws:s3/bucketObjectv2:BucketObjectv2").filter((o) => o.name.startsWith("fleet-"));
      const artifact = objects.find((o) => o.name === "fleet-inference-artifact")!.inputs;
      const recipeObject = objects.find((o) => o.name === "fleet-inference-recipe")!.inputs;
      const version = String(artifact.key).split("/")[2];
      expect(artifact.key).to.equal(`components/qi-${stack}.ScratchDetector/${version}/scratch-detector-linux-x64.zip`);
      expect(recipeObject.key).to.equal(`components/qi-${stack}.ScratchDetector/${version}/recipe.json`);
      const recipe = JSON.parse(recipeObject.content as string) as GreengrassRecipe;
      expect(recipe.ComponentVersion).to.equal(version);
      expect(recipe.Manifests[0].Artifacts[0].URI).to.equal(`s3://data-lake-bucket-0a1b2c3d/${artifact.key}`);
      expect(recipe.Manifests[0].Platform.architecture).to.equal(stack === "prod" ? "aarch64" : "amd64");
      expect(recipe.ComponentDependencies).to.have.keys(
        `qi-${stack}.ScratchDetectorModel`,
        "aws.greengrass.TokenExchangeService",
      );
      expect(recipe.ComponentConfiguration.DefaultConfiguration).to.deep.include({
        topic: config.edge.topic,
        transport: "greengrass-ipc",
        imagesDir: config.edge.imagesDir,
        intervalSeconds: config.edge.intervalSeconds,
      });
    });

    it("has devices send uncertain images back to the stack's bucket, with the stack's sampling rule", () => {
      const recipeObject = run.one("aws:s3/bucketObjectv2:BucketObjectv2", "fleet-inference-recipe").inputs;
      const recipe = JSON.parse(recipeObject.content as string) as GreengrassRecipe;
      const { uncertainty } = config.edge;
      expect(recipe.ComponentConfiguration.DefaultConfiguration).to.deep.include({
        upload: "s3://data-lake-bucket-0a1b2c3d",
        uploadRegion: "eu-west-1",
        uncertaintyMaxScore: uncertainty.maxScore,
        uncertaintyBand: uncertainty.band ? uncertainty.band.join("-") : "off",
        uncertaintyMaxPerHour: uncertainty.maxPerHour,
        uncertaintyRandomRate: uncertainty.randomRate,
      });
      // Only a component that depends on the token exchange service gets AWS credentials from Greengrass.
      expect(recipe.ComponentDependencies).to.have.property("aws.greengrass.TokenExchangeService");
    });
  });
}

describe("the inference component's artifact", () => {
  const keyFor = async (content: string) =>
    (await runStack("dev", readStack("dev"), testEdgeArtifact(content))).one(
      "aws:s3/bucketObjectv2:BucketObjectv2",
      "fleet-inference-artifact",
    ).inputs.key;

  it("keeps its key (and so its version) while the package is unchanged, and changes both when it changes", async () => {
    const first = await keyFor("build A");
    expect(await keyFor("build A")).to.equal(first);
    const second = await keyFor("build B");
    expect(second).to.not.equal(first);
    expect(second).to.contain(`/${inferenceComponentVersion(sha256("build B"))}/`);
  });
});

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

describe("the simulated device", () => {
  let dev: ProgramRun<unknown>;
  let prod: ProgramRun<unknown>;
  before(async () => {
    dev = await runStack("dev");
    prod = await runStack("prod");
  });

  it("runs in dev and not in prod", () => {
    expect(dev.ofType("aws:ec2/instance:Instance")).to.have.length(1);
    expect(prod.ofType("aws:ec2/instance:Instance")).to.have.length(0);
    expect(prod.ofType("awsx:ec2:Vpc")).to.have.length(0);
  });

  it("accepts no inbound traffic at all", () => {
    const group = dev.one("aws:ec2/securityGroup:SecurityGroup").inputs;
    expect(group.ingress ?? []).to.deep.equal([]);
    expect(dev.ofType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")).to.have.length(0);
    expect(dev.ofType("aws:ec2/securityGroupRule:SecurityGroupRule")).to.have.length(0);
    const ports = (group.egress as { fromPort: number }[]).map((rule) => rule.fromPort);
    expect(ports).to.deep.equal([443, 8883]);
  });

  it("boots the current Amazon Linux image with IMDSv2 and an encrypted disk, reachable by Session Manager", () => {
    const instance = dev.one("aws:ec2/instance:Instance").inputs;
    expect(instance).to.deep.include({
      ami: "ami-0a1b2c3d4e5f67890",
      instanceType: "t3.medium",
      metadataOptions: { httpTokens: "required", httpEndpoint: "enabled" },
    });
    expect(instance.rootBlockDevice).to.deep.include({ encrypted: true });
    const attachment = dev.one("aws:iam/rolePolicyAttachment:RolePolicyAttachment").inputs;
    expect(attachment.policyArn).to.equal("arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore");
  });

  it("may read only its own certificate and key", () => {
    const statements = statementsOf(dev.one("aws:iam/rolePolicy:RolePolicy", "simulated-device-access"));
    const ssm = statements.find((s) => s.Sid === "ReadOwnIdentity")!;
    expect(ssm.Resource).to.deep.equal([
      "arn:aws:ssm:eu-west-1:123456789012:parameter/qi-dev/devices/qi-dev-simulated-device/certificate-pem",
      "arn:aws:ssm:eu-west-1:123456789012:parameter/qi-dev/devices/qi-dev-simulated-device/private-key",
    ]);
  });

  it("provisions the nucleus with the stack's region, thing, role alias and endpoints", () => {
    const userData = dev.one("aws:ec2/instance:Instance").inputs.userData as string;
    for (const expected of [
      "export AWS_REGION=eu-west-1",
      'thingName: "qi-dev-simulated-device"',
      'iotRoleAlias: "qi-dev-token-exchange"',
      'awsRegion: "eu-west-1"',
      'iotDataEndpoint: "a1b2c3d4e5f6g7-ats.iot.eu-west-1.amazonaws.com"',
      'iotCredEndpoint: "a1b2c3d4e5f6g7-ats.credentials.iot.eu-west-1.amazonaws.com"',
      "--name /qi-dev/devices/qi-dev-simulated-device/certificate-pem",
      "thing group qi-dev-fleet",
      "greengrass-nucleus-latest.zip",
      "mkdir -p /var/lib/qualityinspection/images",
    ]) {
      expect(userData).to.contain(expected);
    }
  });
});

describe("the simulated device's user data", () => {
  const args: UserDataArgs = {
    region: "eu-central-1",
    thingName: "qi-test-simulated-device",
    thingGroupName: "qi-test-fleet",
    roleAliasName: "qi-test-token-exchange",
    iotDataEndpoint: "abc-ats.iot.eu-central-1.amazonaws.com",
    iotCredentialsEndpoint: "abc.credentials.iot.eu-central-1.amazonaws.com",
    certificateParameter: "/qi-test/devices/qi-test-simulated-device/certificate-pem",
    privateKeyParameter: "/qi-test/devices/qi-test-simulated-device/private-key",
    nucleusVersion: "2.14.0",
    architecture: "arm64",
    imagesDir: "/srv/camera",
    bucketName: "qi-test-lake",
    sampleImagesPrefix: "images/",
    sampleImages: 20,
  };

  it("is a script bash accepts", () => {
    execFileSync("bash", ["-n"], { input: simulatedDeviceUserData(args) });
  });

  it("installs the pinned nucleus and the Node.js build of the device's CPU", () => {
    const script = simulatedDeviceUserData(args);
    expect(script).to.contain("releases/greengrass-2.14.0.zip");
    expect(script).to.match(/node-v\d+\.\d+\.\d+-linux-arm64\.tar\.xz/);
    expect(script).to.contain("--max-items 20");
  });

  it("refuses a value that could break out of the script, naming it", () => {
    expect(() => simulatedDeviceUserData({ ...args, thingName: "x; rm -rf /" })).to.throw(/thingName must be plain/);
    expect(() => simulatedDeviceUserData({ ...args, imagesDir: "camera" })).to.throw(/imagesDir must be absolute/);
  });
});
