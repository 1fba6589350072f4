import { createHash } from "node:crypto";
import { expect } from "chai";
import { inferenceComponentVersion } from "../../contracts/modelComponent";
import { LAMBDA_RUNTIME } from "../../contracts/runtime";
import { parseStackConfig, PROJECT } from "../../config/schema";
import { createInfrastructure } from "../../infrastructure";
import type { StateMachineDefinition, TaskState } from "../../stateMachines/asl";
import { functionSlug, PIPELINE_FUNCTIONS } from "../../stateMachines/functions";
import { STATES } from "../../stateMachines/qualityInspection";
import { evaluate, PolicyDocument } from "../harness/iamEvaluator";
import { ProgramRun, readStack, RecordedResource, runStack } from "../harness/pulumiProgram";

const runPipelineStack = (stack: string, overrides: Record<string, string> = {}) =>
  runStack(stack, { ...readStack(stack), ...overrides });
const mockArn = (type: string, name: string) => `arn:aws:mock:eu-west-1:123456789012:${type}/${name}`;
const statementsOf = (resource: RecordedResource) =>
  (
    JSON.parse(resource.inputs.policy as string) as {
      Statement: { Sid: string; Action: string[]; Resource: string[]; Condition?: unknown }[];
    }
  ).Statement;

function definitionOf(run: ProgramRun<unknown>): StateMachineDefinition {
  return JSON.parse(run.one("aws:sfn/stateMachine:StateMachine").inputs.definition as string) as StateMachineDefinition;
}
const task = (definition: StateMachineDefinition, name: string) =>
  definition.States[name] as TaskState & { Parameters: Record<string, never> };

for (const stack of ["dev", "prod"] as const) {
  describe(`the pipeline of the ${stack} stack`, () => {
    let run: ProgramRun<ReturnType<typeof createInfrastructure>>;
    const config = parseStackConfig(readStack(stack), stack);
    before(async () => {
      run = await runPipelineStack(stack);
    });

    it("is one STANDARD state machine that logs ALL to its own log group and traces with X-Ray", () => {
      const machine = run.one("aws:sfn/stateMachine:StateMachine").inputs;
      expect(machine).to.include({ name: `qi-${stack}-pipeline`, type: "STANDARD" });
      expect(machine.loggingConfiguration).to.deep.equal({
        level: "ALL",
        includeExecutionData: true,
        logDestination: `arn:aws:logs:eu-west-1:123456789012:log-group:/aws/vendedlogs/states/qi-${stack}-pipeline:*`,
      });
      expect(machine.tracingConfiguration).to.deep.equal({ enabled: true });
      expect(machine.roleArn).to.equal("arn:aws:iam::123456789012:role/pipeline-state-machine-role");
    });

    it("keeps the logs of the state machine and of every function for the configured days", () => {
      const groups = run.ofType("aws:cloudwatch/logGroup:LogGroup").filter((g) => g.name.startsWith("pipeline-"));
      // The state machine's, the starter's and the new-images trigger's besides the pipeline functions'.
      expect(groups).to.have.length(Object.keys(PIPELINE_FUNCTIONS).length + 3);
      for (const group of groups) expect(group.inputs.retentionInDays, group.name).to.equal(config.logs.retentionDays);
      expect(run.one("aws:cloudwatch/logGroup:LogGroup", "pipeline-logs").inputs.name).to.equal(
        `/aws/vendedlogs/states/qi-${stack}-pipeline`,
      );
    });

    it("wires the definition to the functions, roles, topic and training code the component created", () => {
      const definition = definitionOf(run);
      expect(definition.StartAt).to.equal(STATES.startRun);
      expect(task(definition, STATES.startRun).Resource).to.equal(mockArn("Function", "pipeline-start-run"));
      expect(task(definition, STATES.buildDataset).Resource).to.equal(mockArn("Function", "pipeline-build-dataset"));
      expect(task(definition, STATES.notifyFailure).Parameters.TopicArn).to.equal(mockArn("Topic", "pipeline-alerts"));
      const train = task(definition, STATES.trainModel).Parameters as Record<string, Record<string, string>>;
      expect(train.RoleArn).to.equal("arn:aws:iam::123456789012:role/sagemaker-execution-role");
      const codeKey = run.one("aws:s3/bucketObjectv2:BucketObjectv2", "pipeline-training-code").inputs.key as string;
      expect(codeKey).to.match(/^code\/training-[0-9a-f]{16}\.tar\.gz$/);
      expect(train.HyperParameters.sagemaker_submit_directory).to.equal(`s3://data-lake-bucket-0a1b2c3d/${codeKey}`);
      expect(train.HyperParameters.epochs).to.equal(String(config.training.epochs));
      expect(train.ResourceConfig.InstanceType).to.equal(config.training.instanceType);
      const labeling = task(definition, STATES.labelImages).Parameters as Record<string, string>;
      expect(labeling.RoleArn).to.equal("arn:aws:iam::123456789012:role/pipeline-labeling-role");
    });

    it(`trains on the ${stack === "dev" ? "CPU" : "GPU"} PyTorch image of the region`, () => {
      const train = task(definitionOf(run), STATES.trainModel).Parameters as Record<string, Record<string, string>>;
      expect(train.AlgorithmSpecification.TrainingImage).to.equal(
        `763104351884.dkr.ecr.eu-west-1.amazonaws.com/pytorch-training:2.5.1-${stack === "dev" ? "cpu" : "gpu"}-py311`,
      );
    });

    it("deploys to the stack's fleet thing group with the inference component the fleet published", () => {
      const version = inferenceComponentVersion(createHash("sha256").update("edge package").digest("hex"));
      const definition = definitionOf(run);
      const deploy = task(definition, STATES.createDeployment).Parameters as Record<string, unknown>;
      expect(deploy.TargetArn).to.equal(`arn:aws:iot:eu-west-1:123456789012:thinggroup/${config.edge.thingGroupName}`);
      expect(deploy.Components).to.deep.include({ [`qi-${stack}.ScratchDetector`]: { ComponentVersion: version } });
      const publish = task(definition, STATES.createModelComponent).Parameters as Record<string, unknown>;
      expect(publish.inference).to.deep.equal({
        componentName: `qi-${stack}.ScratchDetector`,
        componentVersion: version,
        recipeKey: `components/qi-${stack}.ScratchDetector/${version}/recipe.json`,
      });
    });

    it("is built of a component per function, one for the state machine and one for the triggers", () => {
      const parentOf = (resource: RecordedResource) => run.resources.find((r) => r.urn === resource.parent)!;
      const pipeline = run.one("qualityinspection:pipeline:QualityInspectionPipeline");
      for (const fn of run.ofType("aws:lambda/function:Function")) {
        const component = parentOf(fn);
        expect(component.type, fn.name).to.equal("qualityinspection:pipeline:PipelineFunction");
        for (const part of ["logs", "role", "access"]) {
          expect(run.resources.find((r) => r.name === `${fn.name}-${part}`)?.parent, part).to.equal(component.urn);
        }
      }
      const machine = run.one("aws:sfn/stateMachine:StateMachine");
      expect(parentOf(machine).type).to.equal("qualityinspection:pipeline:PipelineStateMachine");
      expect(parentOf(parentOf(machine))).to.equal(pipeline);
      expect(run.one("aws:cloudwatch/logGroup:LogGroup", "pipeline-logs").parent).to.equal(machine.parent);
      for (const rule of run.ofType("aws:cloudwatch/eventRule:EventRule")) {
        const onImages = ["pipeline-image-created", "pipeline-pending-check"].includes(rule.name);
        expect(parentOf(rule).type, rule.name).to.equal(
          onImages ? "qualityinspection:pipeline:NewImagesTrigger" : "qualityinspection:pipeline:PipelineTriggers",
        );
      }
      const starter = run.one("aws:lambda/function:Function", "pipeline-start-pipeline");
      expect(parentOf(parentOf(starter)).type).to.equal("qualityinspection:pipeline:PipelineTriggers");
    });

    it("gives every function its own role, log group, X-Ray tracing and a bundle of its own", () => {
      // The pipeline's own (the results component has a function of its own, test/components/inspectionResults.test.ts):
      // one per pipeline function, the starter and the new-images trigger.
      const functions = run.ofType("aws:lambda/function:Function").filter((fn) => fn.name.startsWith("pipeline-"));
      expect(functions).to.have.length(Object.keys(PIPELINE_FUNCTIONS).length + 2);
      const roles = new Set(functions.map((fn) => fn.inputs.role));
      expect(roles.size, "one role per function").to.equal(functions.length);
      for (const fn of functions) {
        expect(fn.inputs, fn.name).to.deep.include({
          runtime: LAMBDA_RUNTIME,
          handler: "index.handler",
          tracingConfig: { mode: "Active" },
        });
        expect(fn.inputs.code, fn.name).to.have.property("__pulumiArchive", true);
        expect((fn.inputs.loggingConfig as { logGroup: string }).logGroup).to.equal(`/aws/lambda/${fn.inputs.name}`);
        // Only the compile function, which writes two models to /tmp, gets more than Lambda's default /tmp.
        const tmpMb = fn.name === "pipeline-compile-onnx" ? 2048 : 512;
        expect(fn.inputs.ephemeralStorage, fn.name).to.deep.equal({ size: tmpMb });
      }
    });

    it("lets the account's publishers (through SNS) and CloudWatch alarms use the alerts key, and no one else", () => {
      const policy = JSON.parse(run.one("aws:kms/key:Key", "pipeline-alerts-key").inputs.policy as string) as object;
      const key = mockArn("Key", "pipeline-alerts-key");
      const sns = { "kms:CallerAccount": "123456789012", "kms:ViaService": "sns.eu-west-1.amazonaws.com" };
      const role = { AWS: "arn:aws:iam::123456789012:role/pipeline-state-machine-role" };
      const ask = (
        principal: Record<string, string>,
        context: Record<string, string> = {},
        action = "kms:GenerateDataKey",
      ) => evaluate([policy as PolicyDocument], { action, resource: key, principal, context });
      expect(ask({ Service: "cloudwatch.amazonaws.com" }), "alarms").to.equal("Allowed");
      expect(ask(role, sns), "a publisher, through SNS").to.equal("Allowed");
      expect(ask(role, sns, "kms:Decrypt"), "a publisher, through SNS").to.equal("Allowed");
      expect(ask(role, { ...sns, "kms:ViaService": "s3.eu-west-1.amazonaws.com" }), "through S3").to.equal(
        "ImplicitDeny",
      );
      expect(ask(role), "directly").to.equal("ImplicitDeny");
      expect(
        ask({ AWS: "arn:aws:iam::999999999999:role/x" }, { ...sns, "kms:CallerAccount": "999999999999" }),
      ).to.equal("ImplicitDeny");
      expect(ask({ Service: "events.amazonaws.com" }), "another service").to.equal("ImplicitDeny");
      expect(ask(role, sns, "kms:PutKeyPolicy"), "publishers cannot change the key").to.equal("ImplicitDeny");
    });

    it("announces failures on an encrypted topic, to the configured address", () => {
      const key = run.one("aws:kms/key:Key", "pipeline-alerts-key");
      expect(key.inputs).to.include({ enableKeyRotation: true });
      expect(run.one("aws:sns/topic:Topic").inputs).to.include({
        name: `qi-${stack}-pipeline-alerts`,
        kmsMasterKeyId: mockArn("Key", "pipeline-alerts-key"),
      });
      expect(run.one("aws:sns/topicSubscription:TopicSubscription").inputs).to.include({
        protocol: "email",
        endpoint: config.alerts.email,
      });
    });

    it(`starts runs when a model is approved${stack === "prod" ? " and on the monthly schedule" : ", and not on a schedule"}`, () => {
      const rules = run.ofType("aws:cloudwatch/eventRule:EventRule");
      expect(rules.map((r) => r.name).sort()).to.deep.equal(
        // The new-images trigger's two rules are on in both stacks (trigger.newImages).
        stack === "prod"
          ? [
              "pipeline-image-created",
              "pipeline-model-approved",
              "pipeline-pending-check",
              "pipeline-run-ended",
              "pipeline-schedule",
            ]
          : ["pipeline-image-created", "pipeline-model-approved", "pipeline-pending-check", "pipeline-run-ended"],
      );
      const approval = JSON.parse(
        run.one("aws:cloudwatch/eventRule:EventRule", "pipeline-model-approved").inputs.eventPattern as string,
      );
      expect(approval).to.deep.equal({
        source: ["aws.sagemaker"],
        "detail-type": ["SageMaker Model Package State Change"],
        detail: { ModelPackageGroupName: [`qi-${stack}-scratch-detector`], ModelApprovalStatus: ["Approved"] },
      });
      if (stack === "prod")
        expect(run.one("aws:cloudwatch/eventRule:EventRule", "pipeline-schedule").inputs.scheduleExpression).to.equal(
          "cron(0 6 1 * ? *)",
        );
      for (const target of run.ofType("aws:cloudwatch/eventTarget:EventTarget")) {
        // The new-images rules invoke their own function (test/components/newImagesTrigger.test.ts).
        const onImages = /^pipeline-(image-created|pending-check)-target$/.test(target.name);
        expect(target.inputs.arn, target.name).to.equal(
          mockArn("Function", onImages ? "pipeline-new-images" : "pipeline-start-pipeline"),
        );
      }
      const pipelinePermissions = run
        .ofType("aws:lambda/permission:Permission")
        .filter((permission) => permission.name.startsWith("pipeline-"));
      expect(pipelinePermissions).to.not.deep.equal([]);
      for (const permission of pipelinePermissions) {
        expect(permission.inputs).to.include({ principal: "events.amazonaws.com", action: "lambda:InvokeFunction" });
        expect(permission.inputs.sourceArn).to.match(/^arn:aws:mock:.*EventRule\/pipeline-/);
      }
      const starter = run.one("aws:lambda/function:Function", "pipeline-start-pipeline");
      expect(
        (starter.inputs.environment as { variables: Record<string, string> }).variables.STATE_MACHINE_ARN,
      ).to.equal(mockArn("StateMachine", "pipeline-state-machine"));
    });

    it("hears every run's end: the starter alerts for runs that ended badly without a notice, and starts queued runs", () => {
      const pattern = JSON.parse(
        run.one("aws:cloudwatch/eventRule:EventRule", "pipeline-run-ended").inputs.eventPattern as string,
      );
      expect(pattern).to.deep.equal({
        source: ["aws.states"],
        "detail-type": ["Step Functions Execution Status Change"],
        detail: {
          stateMachineArn: [mockArn("StateMachine", "pipeline-state-machine")],
          status: ["SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"],
        },
      });
      const starter = run.one("aws:lambda/function:Function", "pipeline-start-pipeline");
      const variables = (starter.inputs.environment as { variables: Record<string, string> }).variables;
      expect(variables).to.include({
        NAME_PREFIX: `qi-${stack}`,
        ALERTS_TOPIC_ARN: mockArn("Topic", "pipeline-alerts"),
      });
      const statements = statementsOf(run.one("aws:iam/rolePolicy:RolePolicy", "pipeline-start-pipeline-access"));
      const bySid = Object.fromEntries(statements.map((s) => [s.Sid, s]));
      expect(bySid.AlertRunsEndedBadly).to.deep.include({ Action: ["sns:Publish"] });
      expect(String(bySid.TakeFromRunQueue.Resource)).to.match(/\/run-queue\/\*$/);
      expect(String(bySid.ReadRunHistory.Resource)).to.match(/:execution:.*:\*$/);
    });

    describe("the state machine's role", () => {
      const statement = (sid: string) =>
        statementsOf(run.one("aws:iam/rolePolicy:RolePolicy", "pipeline-state-machine-access")).find(
          (s) => s.Sid === sid,
        )!;

      it("invokes only the pipeline's functions", () => {
        const functions = Object.keys(PIPELINE_FUNCTIONS).map(functionSlug);
        expect(statement("InvokePipelineFunctions").Resource).to.have.members(
          functions.flatMap((fn) => [
            mockArn("Function", `pipeline-${fn}`),
            `${mockArn("Function", `pipeline-${fn}`)}:*`,
          ]),
        );
      });

      it("passes the SageMaker and labeling roles, to SageMaker only", () => {
        expect(statement("PassJobRoles")).to.deep.include({
          Action: ["iam:PassRole"],
          Resource: [
            "arn:aws:iam::123456789012:role/sagemaker-execution-role",
            "arn:aws:iam::123456789012:role/pipeline-labeling-role",
          ],
          Condition: { StringEquals: { "iam:PassedToService": ["sagemaker.amazonaws.com"] } },
        });
      });

      it("manages the EventBridge rules the .sync integrations need, and only those", () => {
        // AWS documents the training rule's name only; the labeling one is covered by Step Functions' managed
        // SageMaker rule prefix (cloud/pipelinePolicies.ts; test/cloud/permissions.test.ts evaluates both sides).
        expect(statement("ManageSyncEventRules").Resource).to.deep.equal([
          "arn:aws:events:eu-west-1:123456789012:rule/StepFunctionsGetEventsForSageMaker*",
        ]);
      });

      it("runs only jobs named with the stack's prefix", () => {
        expect(statement("RunTrainingJobs").Resource).to.deep.equal([
          `arn:aws:sagemaker:eu-west-1:123456789012:training-job/qi-${stack}-*`,
        ]);
        expect(statement("RunLabelingJobs").Resource).to.deep.equal([
          `arn:aws:sagemaker:eu-west-1:123456789012:labeling-job/qi-${stack}-*`,
        ]);
      });

      it("tags the stack's jobs only while creating them, and the deployments it creates", () => {
        expect(statement("TagJobsOnCreate")).to.deep.include({
          Action: ["sagemaker:AddTags"],
          Resource: ["labeling-job", "training-job", "compilation-job"].map(
            (kind) => `arn:aws:sagemaker:eu-west-1:123456789012:${kind}/qi-${stack}-*`,
          ),
          Condition: {
            StringEquals: {
              "sagemaker:TaggingAction": ["CreateLabelingJob", "CreateTrainingJob", "CreateCompilationJob"],
            },
          },
        });
        expect(statement("TagDeployments")).to.deep.include({
          Action: ["greengrass:TagResource"],
          Resource: ["arn:aws:greengrass:eu-west-1:123456789012:deployments:*"],
        });
      });
    });

    it("lets the component function tag only the stack's two components", () => {
      const tagging = statementsOf(
        run.one("aws:iam/rolePolicy:RolePolicy", "pipeline-create-model-component-access"),
      ).find((s) => s.Sid === "TagComponentVersions")!;
      const component = `arn:aws:greengrass:eu-west-1:123456789012:components:qi-${stack}`;
      expect(tagging.Resource).to.have.members([
        `${component}.ScratchDetectorModel`,
        `${component}.ScratchDetector`,
        `${component}.ScratchDetectorModel:versions:*`,
        `${component}.ScratchDetector:versions:*`,
      ]);
    });

    it("lets Ground Truth read images and write labeling/ only", () => {
      const statements = statementsOf(run.one("aws:iam/rolePolicy:RolePolicy", "pipeline-labeling-access"));
      const writes = statements.filter((s) => s.Action.includes("s3:PutObject")).flatMap((s) => s.Resource);
      expect(writes).to.deep.equal(["arn:aws:s3:::data-lake-bucket-0a1b2c3d/labeling/*"]);
    });

    it("lets each function write only its own prefixes", () => {
      const writes = (fn: string) =>
        statementsOf(run.one("aws:iam/rolePolicy:RolePolicy", `pipeline-${fn}-access`))
          .filter((s) => s.Action.includes("s3:PutObject"))
          .flatMap((s) => s.Resource);
      const under = (prefix: string) => `arn:aws:s3:::data-lake-bucket-0a1b2c3d/${prefix}*`;
      // Athena writes a query's result file with the caller's rights (dataset.athenaAboveImages is on by default).
      expect(writes("build-dataset")).to.deep.equal([under("datasets/"), under("tmp/query-results/")]);
      expect(writes("compile-onnx")).to.deep.equal([under("compiled/")]);
      expect(writes("create-model-component")).to.deep.equal([under("components/")]);
      expect(writes("start-run")).to.deep.equal([]);
    });
  });
}

describe("the labeling workforce", () => {
  const arn = "arn:aws:sagemaker:eu-west-1:123456789012:workteam/private-crowd/inspectors";
  const labelingTeam = (run: ProgramRun<unknown>) =>
    (task(definitionOf(run), STATES.labelImages).Parameters as Record<string, Record<string, string>>).HumanTaskConfig
      .WorkteamArn;

  it("is created with a Cognito user pool when the stack asks for it", async () => {
    const run = await runPipelineStack("dev");
    expect(run.ofType("aws:sagemaker/workforce:Workforce")).to.have.length(1);
    expect(run.one("aws:sagemaker/workteam:Workteam").inputs.memberDefinitions).to.have.length(1);
    expect(labelingTeam(run)).to.equal(mockArn("Workteam", "labeling-workteam"));
  });

  it("is an existing private workteam when the stack names one", async () => {
    const run = await runPipelineStack("dev", {
      [`${PROJECT}:labeling.createPrivateWorkforce`]: "false",
      [`${PROJECT}:labeling.workteamArn`]: arn,
    });
    expect(run.ofType("aws:sagemaker/workforce:Workforce")).to.have.length(0);
    expect(labelingTeam(run)).to.equal(arn);
  });

  it("is the public crowd only when the stack allows it", async () => {
    const run = await runPipelineStack("dev", {
      [`${PROJECT}:labeling.createPrivateWorkforce`]: "false",
      [`${PROJECT}:labeling.allowPublicWorkforce`]: "true",
    });
    expect(labelingTeam(run)).to.equal("arn:aws:sagemaker:eu-west-1:394669845002:workteam/public-crowd/default");
  });
});
