import { RESOURCE_IN_USE } from "../../stateMachines/followJob";
import { expect } from "chai";
import { TaskState } from "../../stateMachines/asl";
import { PIPELINE_FUNCTIONS } from "../../stateMachines/functions";
import { groundTruthLambdas, groundTruthRegions } from "../../stateMachines/groundTruth";
import {
  buildPipelineDefinition,
  failedStateOf,
  PipelineDefinitionArgs,
  STATES,
  TRAINING_METRICS,
} from "../../stateMachines/qualityInspection";
import { testDefinitionArgs } from "../harness/pipelineHarness";

// asl-validator ships without types; it returns { isValid, errors, errorsText }.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const validateAsl = require("asl-validator") as (definition: unknown) => { isValid: boolean; errorsText: () => string };

const variants: [string, (args: PipelineDefinitionArgs) => void][] = [
  ["a dev stack (Neo target, private workteam)", () => undefined],
  ["onnxruntime compilation", (a) => void (a.compilation.target = "onnx")],
  ["label verification", (a) => void (a.labeling.verification = true)],
  ["the public workforce", (a) => void (a.labeling.workforce = { kind: "public" })],
  [
    "the labeling app (builtin)",
    (a) => void Object.assign(a.labeling, { provider: "builtin", workforce: { kind: "none" } }),
  ],
];

function definitionWith(change: (args: PipelineDefinitionArgs) => void = () => undefined) {
  const args = testDefinitionArgs();
  change(args);
  return buildPipelineDefinition(args);
}

const tasks = (definition: ReturnType<typeof definitionWith>) =>
  Object.entries(definition.States).filter((entry): entry is [string, TaskState] => entry[1].Type === "Task");

describe("the state machine definition", () => {
  for (const [what, change] of variants) {
    it(`passes asl-validator for ${what}`, () => {
      const result = validateAsl(structuredClone(definitionWith(change)));
      expect(result.isValid, result.errorsText()).to.equal(true);
    });
  }

  it("is checked by a validator that does fail on a broken definition", () => {
    const broken = structuredClone(definitionWith());
    (broken.States[STATES.chooseMode] as { Default: string }).Default = "NoSuchState";
    expect(validateAsl(broken).isValid).to.equal(false);
  });

  it("gives every Task a timeout and a Catch that notifies and fails", () => {
    const definition = definitionWith((a) => void (a.labeling.verification = true));
    for (const [name, state] of tasks(definition)) {
      expect(state.TimeoutSeconds, name).to.be.a("number").and.be.greaterThan(0);
      // Before it, only the creates of SageMaker jobs catch ResourceInUse, to follow the job they had started.
      const creates: string[] = [STATES.labelImages, STATES.verifyLabels, STATES.trainModel];
      expect(
        state.Catch?.map((c) => c.ErrorEquals),
        name,
      ).to.deep.equal(creates.includes(name) ? [RESOURCE_IN_USE, ["States.ALL"]] : [["States.ALL"]]);
      if (name === STATES.notifyFailure) continue;
      const last = state.Catch!.at(-1)!;
      const handler = definition.States[last.Next];
      expect(last.Next, name).to.equal(failedStateOf(name));
      expect(handler, name).to.deep.include({ Type: "Pass", ResultPath: "$.failure", Next: STATES.notifyFailure });
    }
    expect(definition.States[STATES.notifyFailure]).to.deep.include({ Next: STATES.pipelineFailed });
    expect(definition.States[STATES.pipelineFailed]).to.deep.equal({
      Type: "Fail",
      ErrorPath: "$.failure.error",
      CausePath: "$.failure.cause",
    });
  });

  it("retries transient Lambda errors on every Lambda task, and SageMaker throttling on every SageMaker task", () => {
    for (const [name, state] of tasks(definitionWith())) {
      const retried = (state.Retry ?? []).flatMap((r) => r.ErrorEquals);
      if (state.Resource.startsWith("arn:aws:lambda:")) {
        expect(retried, name).to.include.members(["Lambda.ServiceException", "Lambda.TooManyRequestsException"]);
      }
      if (state.Resource.includes(":sagemaker:")) {
        expect(retried, name).to.include.members([
          "SageMaker.ThrottlingException",
          "SageMaker.ResourceLimitExceededException",
        ]);
      }
      for (const retrier of state.Retry ?? []) expect(retrier.BackoffRate, name).to.be.at.least(1);
    }
  });

  it("waits for each Lambda a minute longer than the function may run", () => {
    const definition = definitionWith((a) => void (a.compilation.target = "onnx"));
    const state = definition.States[STATES.optimiseOnnx] as TaskState;
    expect(state.TimeoutSeconds).to.equal(PIPELINE_FUNCTIONS.compileOnnx.timeoutSeconds + 60);
  });

  it("trains with the framework image, manifest channels, config hyperparameters and metric definitions", () => {
    const train = definitionWith().States[STATES.trainModel] as TaskState & { Parameters: Record<string, never> };
    const p = train.Parameters as Record<string, Record<string, unknown>>;
    expect(train.Resource).to.equal("arn:aws:states:::sagemaker:createTrainingJob.sync");
    expect(p.HyperParameters).to.deep.include({
      epochs: "20",
      "batch-size": "8",
      "image-size": "320x320",
      seed: "0",
      "score-threshold": "0.3",
      "class-names.$": "$.dataset.classNames",
      sagemaker_program: "train.py",
      sagemaker_submit_directory: "s3://qi-test-lake/code/training-0123456789abcdef.tar.gz",
    });
    const channels = p.InputDataConfig as unknown as {
      ChannelName: string;
      DataSource: { S3DataSource: Record<string, string> };
    }[];
    expect(channels.map((c) => c.ChannelName)).to.deep.equal(["train", "validation", "test"]);
    for (const channel of channels) expect(channel.DataSource.S3DataSource.S3DataType).to.equal("ManifestFile");
    expect(p.OutputDataConfig).to.deep.equal({ S3OutputPath: "s3://qi-test-lake/models/" });
    const metrics = (p.AlgorithmSpecification.MetricDefinitions as { Name: string; Regex: string }[]).map(
      (m) => m.Name,
    );
    expect(metrics).to.deep.equal(TRAINING_METRICS);
  });

  it("has metric regexes that read train.py's metric lines", () => {
    const train = definitionWith().States[STATES.trainModel] as TaskState;
    const definitions = (train.Parameters as Record<string, Record<string, unknown>>).AlgorithmSpecification
      .MetricDefinitions as {
      Name: string;
      Regex: string;
    }[];
    const log =
      "epoch 3/20\nmetric: train_loss=1.25e-1\nmetric: validation_map50_95=0.4312\nmetric: validation_map50=0.81\n";
    const read = (name: string) => {
      const regex = new RegExp(definitions.find((d) => d.Name === name)!.Regex);
      return Number(regex.exec(log)?.[1]);
    };
    expect(read("train_loss")).to.equal(0.125);
    expect(read("validation_map50_95")).to.equal(0.4312);
    expect(read("validation_map50")).to.equal(0.81);
  });

  it("deploys the model and inference components to the fleet with rollback", () => {
    const deploy = definitionWith().States[STATES.createDeployment] as TaskState;
    expect(deploy.Resource).to.equal("arn:aws:states:::aws-sdk:greengrassv2:createDeployment");
    expect(deploy.Parameters).to.deep.include({
      TargetArn: "arn:aws:iot:eu-west-1:123456789012:thinggroup/qi-dev-fleet",
      Components: {
        "qi-dev.ScratchDetectorModel": { "ComponentVersion.$": "$.component.componentVersion" },
        "qi-dev.ScratchDetector": { ComponentVersion: testDefinitionArgs().deploy.inferenceComponent.version },
      },
    });
    expect((deploy.Parameters!.DeploymentPolicies as Record<string, unknown>).FailureHandlingPolicy).to.equal(
      "ROLLBACK",
    );
  });

  it("labels with the region's built-in bounding-box Lambdas", () => {
    const label = definitionWith().States[STATES.labelImages] as TaskState;
    const human = (label.Parameters as Record<string, Record<string, unknown>>).HumanTaskConfig;
    expect(human.PreHumanTaskLambdaArn).to.equal("arn:aws:lambda:eu-west-1:568282634449:function:PRE-BoundingBox");
    expect(human.AnnotationConsolidationConfig).to.deep.equal({
      AnnotationConsolidationLambdaArn: "arn:aws:lambda:eu-west-1:568282634449:function:ACS-BoundingBox",
    });
    expect(human).to.not.have.property("PublicWorkforceTaskPrice");
  });

  it("pays the public crowd and declares the images free of personal data only when asked to use it", () => {
    const label = definitionWith((a) => void (a.labeling.workforce = { kind: "public" })).States[
      STATES.labelImages
    ] as TaskState;
    const p = label.Parameters as Record<string, Record<string, unknown>>;
    expect(p.HumanTaskConfig.WorkteamArn).to.equal(
      "arn:aws:sagemaker:eu-west-1:394669845002:workteam/public-crowd/default",
    );
    expect(p.HumanTaskConfig).to.have.property("PublicWorkforceTaskPrice");
    expect(p.InputConfig).to.deep.include({
      DataAttributes: { ContentClassifiers: ["FreeOfPersonallyIdentifiableInformation", "FreeOfAdultContent"] },
    });
  });

  it("knows the Ground Truth Lambdas of every Ground Truth region and refuses other regions by config key", () => {
    for (const region of groundTruthRegions()) {
      expect(groundTruthLambdas(region, "VerificationBoundingBox").preHumanTask).to.match(
        new RegExp(`^arn:aws:lambda:${region}:\\d{12}:function:PRE-VerificationBoundingBox$`),
      );
    }
    expect(() => definitionWith((a) => void (a.region = "eu-north-1"))).to.throw(
      /\[aws:region\] eu-north-1 has no SageMaker Ground Truth/,
    );
  });

  it("tags every job, component version and deployment a run creates with the stack's tags", () => {
    const definition = definitionWith((a) => void (a.labeling.verification = true));
    const parameters = (state: string) => (definition.States[state] as TaskState).Parameters as Record<string, unknown>;
    const tagList = [
      { Key: "project", Value: "qualityinspection" },
      { Key: "stack", Value: "dev" },
    ];
    for (const state of [STATES.labelImages, STATES.verifyLabels, STATES.trainModel, STATES.startNeoCompilation]) {
      expect(parameters(state).Tags, state).to.deep.equal(tagList);
    }
    const tagMap = { project: "qualityinspection", stack: "dev" };
    expect(parameters(STATES.createDeployment).Tags).to.deep.equal(tagMap);
    expect(parameters(STATES.createModelComponent).tags).to.deep.equal(tagMap);
    // A package in a group carries the group's tags; AWS refuses Tags next to ModelPackageGroupName.
    expect(parameters(STATES.registerModel)).to.not.have.property("Tags");
  });

  it("only includes the verification job when verification is on", () => {
    expect(definitionWith().States).to.not.have.property(STATES.verifyLabels);
    expect(definitionWith((a) => void (a.labeling.verification = true)).States).to.have.property(STATES.verifyLabels);
  });
});
