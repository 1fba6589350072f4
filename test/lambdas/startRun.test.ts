import { expect } from "chai";
import { SFNClient } from "@aws-sdk/client-sfn";
import { stepFunctionsRunningExecutions } from "../../lib/aws/runningExecutions";
import { InvalidPipelineInputError, PipelineBusyError } from "../../lib/errors";
import type { RunningExecution } from "../../lib/ports";
import { startRun, StartRunEvent } from "../../lambdas/startRun/handler";
import { jobNamePattern, runNames } from "../../lib/runNames";
import { recordingLog } from "../fakes/memoryPorts";
import { failureOf } from "../harness/failure";
import { FakeStepFunctions } from "../fakes/fakeStepFunctions";

const STATE_MACHINE = "arn:aws:states:eu-west-1:123456789012:stateMachine:qi-dev-pipeline";

const JOB_NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;

const event = (input: unknown): StartRunEvent => ({
  input,
  execution: { name: "scheduled-20261201T060000Z", startTime: "2026-12-01T06:00:01.123Z" },
  stateMachineArn: STATE_MACHINE,
  settings: { namePrefix: "qi-dev", modelPackageGroupName: "qi-dev-scratch-detector", compilationTarget: "onnx" },
});

/** Ports with these other executions running. */
const deps = (running: RunningExecution[] = []) => ({ log: recordingLog(), executions: { list: async () => running } });

const rejection = (input: unknown) => failureOf(startRun(event(input), deps()));

describe("StartRun", () => {
  describe("run names", () => {
    it("are valid SageMaker job names, even for long execution names with odd characters", () => {
      const names = runNames("qi-a-very-long-stack-na", `Manual_Run.${"x".repeat(80)}`, "2026-12-01T06:00:00Z");
      for (const name of [names.labelingJob, names.verificationJob, names.trainingJob, names.compilationJob]) {
        expect(name).to.match(JOB_NAME).and.have.length.at.most(63);
        expect(name).to.match(/^qi-a-very-long-stack-na-/);
      }
      expect(names.dataset).to.match(/^[a-z0-9][a-z0-9-]*$/);
      expect(names.deploymentToken).to.have.length.at.most(64);
      expect(names.modelPackageToken).to.match(/^[a-zA-Z0-9-]{1,36}$/);
    });

    it("are the same for the same execution and differ for a re-used execution name", () => {
      const first = runNames("qi-dev", "run-1", "2026-12-01T06:00:00Z");
      expect(runNames("qi-dev", "run-1", "2026-12-01T06:00:00Z")).to.deep.equal(first);
      expect(runNames("qi-dev", "run-1", "2027-03-01T06:00:00Z").trainingJob).to.not.equal(first.trainingJob);
      expect(first.trainingJob).to.match(/^qi-dev-train-run-1-[0-9a-f]{8}$/);
    });

    it("match their stack's job name pattern, and another stack's names do not", () => {
      const kinds = ["labelingJob", "verificationJob", "trainingJob", "compilationJob"] as const;
      for (const execution of ["manual-20261129T1030-ab12cd34", "Manual_Run.x", "x".repeat(90), "__"]) {
        const names = runNames("qi-dev", execution, "2026-12-01T06:00:00Z");
        const other = runNames("qi-dev2", execution, "2026-12-01T06:00:00Z");
        for (const kind of kinds) {
          expect(names[kind], `${kind} of ${execution}`).to.match(jobNamePattern("qi-dev", kind));
          expect(other[kind], `${kind} of ${execution}`).to.not.match(jobNamePattern("qi-dev", kind));
        }
        expect(names.trainingJob).to.not.match(jobNamePattern("qi-dev", "compilationJob"));
      }
      expect("qi-dev-train-by-hand").to.not.match(jobNamePattern("qi-dev", "trainingJob"));
    });
  });

  it("starts a training run from {} with every default", async () => {
    const result = await startRun(event({}), deps());
    expect(result.model).to.deep.equal({});
    expect(result.run).to.deep.include({
      mode: "train",
      trigger: "manual",
      imagesPrefix: "images/",
      skipLabeling: false,
      compilationTarget: "onnx",
      executionName: "scheduled-20261201T060000Z",
    });
    expect(result.run.names.labelingJob).to.match(JOB_NAME);
  });

  it("starts a deploy run with the model package to deploy", async () => {
    const arn = "arn:aws:sagemaker:eu-west-1:123456789012:model-package/qi-dev-scratch-detector/4";
    const result = await startRun(event({ mode: "deploy", modelPackageArn: arn, trigger: "model-approved" }), deps());
    expect(result.model).to.deep.equal({ packageArn: arn });
    expect(result.run).to.include({ mode: "deploy", trigger: "model-approved", imagesPrefix: null });
  });

  it("rejects input that breaks the contract, naming the field", async () => {
    const error = await rejection({ imagesPrefix: "models/" });
    expect(error).to.be.instanceOf(InvalidPipelineInputError);
    expect(error.name).to.equal("InvalidPipelineInputError");
    expect(error.message).to.match(/imagesPrefix: must be a folder under images\//);
  });

  it("refuses to deploy a package of another model package group", async () => {
    const arn = "arn:aws:sagemaker:eu-west-1:123456789012:model-package/someone-elses-models/4";
    const error = await rejection({ mode: "deploy", modelPackageArn: arn });
    expect(error.message).to.contain(
      "modelPackageArn: must be a package of the model package group qi-dev-scratch-detector",
    );
  });

  it("reports a malformed event as a bug of the state machine, not of the input", async () => {
    const error = await failureOf(startRun({ input: {} }, deps()));
    expect(error.name).to.equal("InvalidEventError");
    expect(error.message).to.contain("execution");
  });

  describe("one run at a time", () => {
    it("stops when an earlier run has not ended, naming the earliest first and how to wait for or stop it", async () => {
      const error = await failureOf(
        startRun(
          event({}),
          deps([
            { name: "manual-20261130T1200-ab12cd34", startTime: "2026-11-30T12:00:00.000Z" },
            { name: "scheduled-20261201T060000Z", startTime: "2026-12-01T06:00:01.123Z" },
            { name: "approved-v3", startTime: "2026-11-29T08:00:00.000Z" },
          ]),
        ),
      );
      expect(error).to.be.instanceOf(PipelineBusyError);
      expect(error.name).to.equal("PipelineBusyError");
      expect(error.message).to.equal(
        "another run of the pipeline has not ended: approved-v3 (started 2026-11-29T08:00:00.000Z), " +
          "manual-20261130T1200-ab12cd34 (started 2026-11-30T12:00:00.000Z). " +
          "Let it finish (npm run pipeline -- watch approved-v3) or stop it (npm run pipeline -- stop approved-v3), " +
          "then start again. This run stopped before doing anything",
      );
    });

    it("goes on when the others started later, or at the same moment with a later name", async () => {
      const result = await startRun(
        event({}),
        deps([
          { name: "scheduled-20261201T060000Z", startTime: "2026-12-01T06:00:01.123Z" },
          { name: "manual-later", startTime: "2026-12-01T06:00:02.000Z" },
          { name: "zz-same-moment", startTime: "2026-12-01T06:00:01.123Z" },
        ]),
      );
      expect(result.run.executionName).to.equal("scheduled-20261201T060000Z");
      // …and of two runs started at the same moment, the one with the earlier name goes on.
      const tie = await failureOf(
        startRun(event({}), deps([{ name: "aa-same-moment", startTime: "2026-12-01T06:00:01.123Z" }])),
      );
      expect(tie.message).to.contain("aa-same-moment");
    });

    it("checks the input before looking for other runs", async () => {
      const error = await failureOf(
        startRun(event({ imagesPrefix: "models/" }), deps([{ name: "older", startTime: "2026-01-01T00:00:00Z" }])),
      );
      expect(error).to.be.instanceOf(InvalidPipelineInputError);
    });

    it("lists every running execution of the state machine through the Step Functions API, page by page", async () => {
      const sfn = new FakeStepFunctions(STATE_MACHINE);
      await sfn.start();
      try {
        const started = (i: number) => [
          { timestamp: 1_780_000_000 + i, type: "ExecutionStarted", id: 1, previousEventId: 0 },
        ];
        for (let i = 0; i < 130; i++) sfn.addExecution(`run-${i}`, started(i));
        sfn.addExecution("done", [
          ...started(500),
          { timestamp: 1_780_000_600, type: "ExecutionSucceeded", id: 2, previousEventId: 1 },
        ]);
        const client = new SFNClient({
          endpoint: sfn.endpoint,
          region: "eu-west-1",
          credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "secret" },
        });
        const running = await stepFunctionsRunningExecutions(client).list(STATE_MACHINE);
        expect(running).to.have.length(130);
        expect(running.map((r) => r.name)).to.not.include("done");
        expect(running.find((r) => r.name === "run-7")).to.deep.equal({
          name: "run-7",
          startTime: new Date((1_780_000_000 + 7) * 1000).toISOString(),
        });
        const other = await failureOf(stepFunctionsRunningExecutions(client).list(`${STATE_MACHINE}-other`));
        expect(other.name).to.equal("StateMachineDoesNotExist");
      } finally {
        await sfn.stop();
      }
    });
  });
});
