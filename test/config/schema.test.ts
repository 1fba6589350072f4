import { expect } from "chai";
import {
  configFields,
  ConfigError,
  isArmInstanceType,
  parseStackConfig,
  PROJECT,
  StackConfig,
} from "../../config/schema";
import { readConfigDeclarations, readStackConfig } from "../../config/stackFiles";
import { PROJECT_DIR } from "../harness/pulumiProgram";

function problemsOf(raw: Record<string, string | undefined>, stack = "dev"): string[] {
  try {
    parseStackConfig(raw, stack);
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error("expected the config to be rejected");
}

describe("stack config", () => {
  const dev = readStackConfig(PROJECT_DIR, "dev");
  const prod = readStackConfig(PROJECT_DIR, "prod");

  it("the dev and prod stack files are valid", () => {
    expect(parseStackConfig(dev, "dev").namePrefix).to.equal("qi-dev");
    expect(parseStackConfig(prod, "prod").namePrefix).to.equal("qi-prod");
  });

  it("dev and prod differ where environments should", () => {
    const d: StackConfig = parseStackConfig(dev, "dev");
    const p: StackConfig = parseStackConfig(prod, "prod");
    expect(d.dataLake.forceDestroy, "dev bucket is disposable").to.equal(true);
    expect(p.dataLake.forceDestroy, "prod bucket survives destroy").to.equal(false);
    expect(d.dataLake.allowDeleteData, "cleanup may empty the dev bucket").to.equal(true);
    expect(p.dataLake.allowDeleteData, "cleanup never empties the prod bucket").to.equal(false);
    expect(p.dataLake.noncurrentVersionDays).to.be.greaterThan(d.dataLake.noncurrentVersionDays);
    expect(p.logs.retentionDays).to.be.greaterThan(d.logs.retentionDays);
    expect(p.training.instanceType).to.not.equal(d.training.instanceType);
    expect(p.alerts.email).to.not.equal(d.alerts.email);
    expect(p.evaluation.minMap50_95).to.be.greaterThan(d.evaluation.minMap50_95);
    expect(p.registry.approvalStatus).to.equal("PendingManualApproval");
    expect(d.registry.approvalStatus).to.equal("Approved");
    expect(p.labeling.verification, "prod verifies labels").to.equal(true);
    expect(p.dataset.minImages).to.be.greaterThan(d.dataset.minImages);
    expect(p.dataset.minBoxes).to.be.greaterThan(d.dataset.minBoxes);
    expect(d.schedule.expression, "dev runs start by hand").to.equal(null);
    expect(p.schedule.expression).to.match(/^cron\(/);
    expect(d.edge.uncertainty.maxPerHour, "dev sends few images back to label").to.be.lessThan(
      p.edge.uncertainty.maxPerHour,
    );
    expect(p.edge.uncertainty.randomRate, "prod samples confident images too").to.be.greaterThan(0);
  });

  it("reads the edge sampling rule, with the seed's threshold by default", () => {
    expect(parseStackConfig(dev, "dev").edge.uncertainty).to.deep.equal({
      maxScore: 0.7,
      band: [0.3, 0.7],
      maxPerHour: 10,
      randomRate: 0,
    });
    const off = parseStackConfig({ ...dev, [`${PROJECT}:edge.uncertainty.band`]: "off" }, "dev");
    expect(off.edge.uncertainty.band).to.equal(null);
  });

  const badValues: [string, string, string][] = [
    ["training.instanceType", "m5.xlarge", "must look like ml.<family>.<size>"],
    ["training.instanceType", "ml.m5", "must look like ml.<family>.<size>"],
    ["dataLake.forceDestroy", "yes", "must be true or false"],
    ["dataLake.allowDeleteData", "1", "must be true or false"],
    ["logs.retentionDays", "10", "must be one of the CloudWatch Logs retention periods"],
    ["logs.retentionDays", "-7", "must be one of the CloudWatch Logs retention periods"],
    ["alerts.email", "ops-at-example.com", "must be an e-mail address"],
    ["evaluation.minMap50_95", "1.5", "must be a number from 0 to 1"],
    ["evaluation.minMap50_95", "high", "must be a number from 0 to 1"],
    ["registry.approvalStatus", "approved", "must be Approved or PendingManualApproval"],
    ["labeling.maxImagesPerJob", "0", "must be a whole number from 1 to 100000"],
    ["training.maxRuntimeSeconds", "3600.5", "must be a whole number of seconds"],
    ["labeling.classes", "scratch,", "must be comma-separated class names"],
    ["labeling.classes", "scratch,scratch", "must be comma-separated class names"],
    ["labeling.classes", "a scratch", "must be comma-separated class names"],
    ["labeling.workteamArn", "my-team", "must be empty or the ARN of a private SageMaker workteam"],
    ["labeling.verification", "maybe", "must be true or false"],
    ["dataset.minImages", "0", "must be a whole number from 1 to 1000000"],
    ["dataset.minBoxes", "0", "must be a whole number from 1 to 1000000"],
    ["dataset.minBoxes", "many", "must be a whole number from 1 to 1000000"],
    ["dataset.fractions", "0.8,0.1", "must be three fractions train,validation,test that add up to 1"],
    ["dataset.fractions", "0.8,0.2,0.1", "must be three fractions train,validation,test that add up to 1"],
    ["dataset.athenaAboveImages", "0", "must be a whole number of images from 1 to 1000000000"],
    ["dataset.athenaAboveImages", "1e6", "must be a whole number of images from 1 to 1000000000"],
    [
      "dataset.athenaAboveImages",
      "never",
      "must be a whole number of images from 1 to 1000000000 (above it Athena splits the dataset), or off",
    ],
    ["training.batchSize", "0", "must be a whole number from 1 to 256"],
    ["training.imageSize", "32", "must be the model input in pixels, multiples of 32 from 64 to 1280"],
    ["training.imageSize", "100", "must be the model input in pixels, multiples of 32"],
    ["training.imageSize", "384x250", "must be the model input in pixels, multiples of 32"],
    ["training.imageSize", "320x", "must be the model input in pixels, multiples of 32"],
    ["training.scoreThreshold", "-0.1", "must be auto (the best F1 on the validation split) or a number from 0 to 1"],
    ["training.scoreThreshold", "best", "must be auto"],
    ["training.instanceCount", "0", "must be a whole number from 1 to 16"],
    ["training.instanceCount", "2.5", "must be a whole number from 1 to 16"],
    ["compilation.target", "tensorrt", "must be onnx or a SageMaker Neo target device"],
    ["compilation.pollIntervalSeconds", "5", "must be a whole number of seconds from 10 to 3600"],
    ["compilation.maxPolls", "0", "must be a whole number from 1 to 1000"],
    ["deploy.pollIntervalSeconds", "1h", "must be a whole number of seconds from 10 to 3600"],
    ["deploy.maxPolls", "1001", "must be a whole number from 1 to 1000"],
    ["schedule.expression", "monthly", "must be an EventBridge schedule"],
    ["schedule.expression", "rate(1 fortnight)", "must be an EventBridge schedule"],
    ["edge.architecture", "amd64", "must be x64 or arm64"],
    ["edge.coreDevices", "line-1", "must be a list of distinct IoT thing names"],
    ["edge.coreDevices", '["line 1"]', "must be a list of distinct IoT thing names"],
    ["edge.coreDevices", '["a","a"]', "must be a list of distinct IoT thing names"],
    ["edge.simulatedDeviceInstanceType", "t3", "must look like <family>.<size>"],
    ["edge.nucleusVersion", "2.x", "must be latest or a Greengrass nucleus version"],
    ["edge.topic", "factory/#", "must be an MQTT topic without wildcards"],
    ["edge.imagesDir", "images", "must be an absolute path on the device"],
    ["edge.intervalSeconds", "0", "must be a whole number of seconds from 1 to 86400"],
    ["edge.uncertainty.maxScore", "70", "must be a number from 0 to 1"],
    ["edge.uncertainty.band", "0.7-0.3", "must be off or <low>-<high> with 0 <= low <= high <= 1"],
    ["edge.uncertainty.band", "[0.3, 0.7]", "must be off or <low>-<high>"],
    ["edge.uncertainty.maxPerHour", "-1", "must be a whole number from 0 to 100000"],
    ["edge.uncertainty.randomRate", "1%", "must be a number from 0 to 1"],
  ];
  for (const [key, value, message] of badValues) {
    it(`rejects ${key}=${JSON.stringify(value)} naming the key and the expected form`, () => {
      const problems = problemsOf({ ...dev, [`${PROJECT}:${key}`]: value });
      expect(problems).to.have.length(1);
      expect(problems[0]).to.contain(`${PROJECT}:${key} ${message}`).and.contain(JSON.stringify(value));
    });
  }

  it("names a missing required key and how to set it", () => {
    const { [`${PROJECT}:alerts.email`]: _removed, ...withoutEmail } = dev;
    expect(problemsOf(withoutEmail)).to.deep.equal([
      `${PROJECT}:alerts.email is required and must be an e-mail address such as ops@example.com; ` +
        "set it with `pulumi config set alerts.email <value>`",
    ]);
  });

  it("requires an AWS region", () => {
    const { "aws:region": _removed, ...withoutRegion } = dev;
    expect(problemsOf(withoutRegion)[0]).to.match(/^aws:region is required/);
  });

  it("reads the pipeline settings into typed values", () => {
    const config = parseStackConfig(
      {
        ...dev,
        [`${PROJECT}:labeling.classes`]: "scratch,dent",
        [`${PROJECT}:schedule.expression`]: "rate(7 days)",
        [`${PROJECT}:compilation.target`]: "jetson_xavier",
        [`${PROJECT}:dataset.fractions`]: "0.6,0.2,0.2",
        [`${PROJECT}:dataset.athenaAboveImages`]: "off",
        [`${PROJECT}:training.imageSize`]: "384x256",
      },
      "dev",
    );
    expect(config.training.imageSize, "width x height").to.deep.equal({ width: 384, height: 256 });
    expect(
      parseStackConfig({ ...dev, [`${PROJECT}:training.imageSize`]: "448" }, "dev").training.imageSize,
    ).to.deep.equal({ width: 448, height: 448 });
    expect(config.dataset.fractions).to.deep.equal({ train: 0.6, validation: 0.2, test: 0.2 });
    expect(parseStackConfig(dev, "dev").dataset.fractions, "the default").to.deep.equal({
      train: 0.8,
      validation: 0.1,
      test: 0.1,
    });
    expect(config.dataset.athenaAboveImages, "off keeps every dataset in the Lambda").to.equal(null);
    expect(parseStackConfig(dev, "dev").dataset.athenaAboveImages, "the default").to.equal(100_000);
    expect(config.labeling.classes).to.deep.equal(["scratch", "dent"]);
    expect(config.schedule.expression).to.equal("rate(7 days)");
    expect(config.compilation.target).to.equal("jetson_xavier");
    expect(parseStackConfig(dev, "dev").schedule.expression, "off switches the schedule off").to.equal(null);
  });

  describe("the labeling workforce", () => {
    const workforceKeys = {
      [`${PROJECT}:labeling.workteamArn`]: "",
      [`${PROJECT}:labeling.createPrivateWorkforce`]: "false",
      [`${PROJECT}:labeling.allowPublicWorkforce`]: "false",
    };
    const arn = "arn:aws:sagemaker:eu-west-1:123456789012:workteam/private-crowd/inspectors";

    it("is an existing workteam, a created one or the public crowd", () => {
      const withArn = parseStackConfig({ ...dev, ...workforceKeys, [`${PROJECT}:labeling.workteamArn`]: arn }, "dev");
      expect(withArn.labeling.workforce).to.deep.equal({ kind: "existing", workteamArn: arn });
      const publicCrowd = { ...dev, ...workforceKeys, [`${PROJECT}:labeling.allowPublicWorkforce`]: "true" };
      expect(parseStackConfig(publicCrowd, "dev").labeling.workforce).to.deep.equal({ kind: "public" });
      expect(parseStackConfig(dev, "dev").labeling.workforce).to.deep.equal({ kind: "create" });
    });

    it("must be chosen, and only once", () => {
      expect(problemsOf({ ...dev, ...workforceKeys })[0]).to.match(/^exactly one of .*workteamArn.* must choose/);
      const twice = { ...dev, [`${PROJECT}:labeling.workteamArn`]: arn };
      expect(problemsOf(twice)[0]).to.contain("; 2 do");
    });
  });

  describe("the labeling provider", () => {
    const builtin = {
      ...dev,
      [`${PROJECT}:labeling.provider`]: "builtin",
      [`${PROJECT}:labeling.createPrivateWorkforce`]: "false",
    };

    it("is the labeling app with no workforce, or Ground Truth with one", () => {
      const config = parseStackConfig(builtin, "dev");
      expect(config.labeling.provider).to.equal("builtin");
      expect(config.labeling.workforce).to.deep.equal({ kind: "none" });
      expect(config.labeling.builtin).to.deep.equal({ heartbeatSeconds: 259_200, timeoutSeconds: 1_209_600 });
      expect(parseStackConfig(dev, "dev").labeling.provider).to.equal("groundtruth");
      expect(problemsOf({ ...builtin, [`${PROJECT}:labeling.provider`]: "mturk" })).to.deep.equal([
        `${PROJECT}:labeling.provider must be builtin or groundtruth (got "mturk")`,
      ]);
    });

    it("refuses a Ground Truth workforce or verification job with the labeling app", () => {
      expect(problemsOf({ ...builtin, [`${PROJECT}:labeling.createPrivateWorkforce`]: "true" })[0]).to.contain(
        "set them only with labeling.provider=groundtruth",
      );
      expect(problemsOf({ ...builtin, [`${PROJECT}:labeling.verification`]: "true" })).to.deep.equal([
        `${PROJECT}:labeling.verification=true needs labeling.provider=groundtruth (a Ground Truth verification job)`,
      ]);
    });

    it("wants a heartbeat no longer than the timeout, each within 60 s and 30 days", () => {
      expect(
        problemsOf({
          ...builtin,
          [`${PROJECT}:labeling.heartbeatSeconds`]: "7200",
          [`${PROJECT}:labeling.timeoutSeconds`]: "3600",
        }),
      ).to.deep.equal([`${PROJECT}:labeling.heartbeatSeconds must be at most labeling.timeoutSeconds (3600)`]);
      expect(problemsOf({ ...builtin, [`${PROJECT}:labeling.timeoutSeconds`]: "59" })[0]).to.contain(
        "must be a whole number of seconds from 60 to 2592000",
      );
    });
  });

  it("wants the simulated device's CPU to match the fleet's", () => {
    expect(problemsOf({ ...dev, [`${PROJECT}:edge.simulatedDeviceInstanceType`]: "t4g.medium" })).to.deep.equal([
      `${PROJECT}:edge.simulatedDeviceInstanceType must be an x64 instance type to match ` +
        `${PROJECT}:edge.architecture=x64 (got "t4g.medium")`,
    ]);
    const arm = { ...dev, [`${PROJECT}:edge.architecture`]: "arm64" };
    expect(problemsOf(arm)[0]).to.contain("must be an arm64 (Graviton) instance type");
    expect(
      parseStackConfig({ ...arm, [`${PROJECT}:edge.simulatedDeviceInstanceType`]: "m6gd.large" }, "dev").edge,
    ).to.deep.include({
      architecture: "arm64",
      simulatedDevice: { thingName: "qi-dev-simulated-device", instanceType: "m6gd.large" },
    });
  });

  it("tells Graviton instance types from x64 ones", () => {
    for (const arm of ["t4g.medium", "m6gd.large", "c7gn.xlarge", "r8g.large"])
      expect(isArmInstanceType(arm), arm).to.equal(true);
    for (const x64 of ["t3.medium", "m5.large", "g4dn.xlarge", "c6i.large", "m7a.large"])
      expect(isArmInstanceType(x64), x64).to.equal(false);
  });

  it("registers the simulated device as one of the fleet's core devices", () => {
    const edge = parseStackConfig(dev, "dev").edge;
    expect(edge.coreDevices).to.deep.equal(["qi-dev-simulated-device"]);
    expect(edge.thingGroupName).to.equal("qi-dev-fleet");
    expect(parseStackConfig(prod, "prod").edge).to.deep.include({
      coreDevices: ["qi-prod-line-1", "qi-prod-line-2"],
      simulatedDevice: null,
      architecture: "arm64",
    });
  });

  it("derives the stack's tags and registry name from the stack name", () => {
    const config = parseStackConfig(prod, "prod");
    expect(config.tags).to.deep.equal({ project: "qualityinspection", stack: "prod" });
    expect(config.registry.modelPackageGroupName).to.equal("qi-prod-scratch-detector");
  });

  it("reports every problem at once", () => {
    const problems = problemsOf({
      ...dev,
      [`${PROJECT}:training.epochs`]: "0",
      [`${PROJECT}:dataLake.tmpExpirationDays`]: "forever",
    });
    expect(problems).to.have.length(2);
  });

  it("rejects a misspelt key of this program instead of ignoring it", () => {
    expect(problemsOf({ ...dev, [`${PROJECT}:training.instancetype`]: "ml.m5.large" })).to.deep.equal([
      `${PROJECT}:training.instancetype is not a config key of this program (see Pulumi.yaml for the keys it reads)`,
    ]);
  });

  it("rejects a stack name that cannot prefix AWS names", () => {
    expect(problemsOf(dev, "a-very-long-stack-name-for-testing")[0]).to.contain("stack name");
  });

  describe("Pulumi.yaml", () => {
    const declarations = readConfigDeclarations(PROJECT_DIR);
    const programKeys = Object.keys(configFields).filter((key) => key.startsWith(`${PROJECT}:`));

    it("declares exactly the keys the program reads, each with a type and a description", () => {
      expect(Object.keys(declarations).sort()).to.deep.equal(programKeys.sort());
      for (const [key, declaration] of Object.entries(declarations)) {
        expect(declaration.type, key).to.be.oneOf(["string", "boolean", "integer", "array"]);
        expect(declaration.description, key).to.be.a("string").with.length.greaterThan(10);
      }
    });

    it("has defaults that pass validation", () => {
      const defaults = Object.fromEntries(
        Object.entries(declarations)
          .filter(([, d]) => d.default !== undefined)
          .map(([key, d]) => [key, typeof d.default === "string" ? d.default : JSON.stringify(d.default)]),
      );
      const problems = problemsOf(defaults);
      // Only the keys without a default may be missing: a new stack labels with the labeling app, which needs no
      // Ground Truth workforce (Ground Truth is closed to new AWS accounts).
      const undeclared = Object.keys(configFields).filter((key) => !(key in defaults));
      expect(problems.map((p) => p.split(" ")[0]).sort()).to.deep.equal(undeclared.sort());
      expect(defaults["qualityinspection:labeling.provider"]).to.equal("builtin");
      // With Ground Truth, a stack must choose its workforce itself.
      const groundTruth = problemsOf({ ...defaults, "qualityinspection:labeling.provider": "groundtruth" });
      expect(
        groundTruth.filter((p) => p.startsWith("exactly one of")),
        "the workforce choice",
      ).to.have.length(1);
    });
  });
});
