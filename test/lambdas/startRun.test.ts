import { expect } from "chai";
import { InvalidPipelineInputError } from "../../lambdas/shared/errors";
import { startRun, StartRunEvent } from "../../lambdas/startRun/handler";
import { jobNamePattern, runNames } from "../../lambdas/startRun/names";
import { recordingLog } from "../helpers/memoryPorts";
import { failureOf } from "../helpers/failure";

const JOB_NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;

const event = (input: unknown): StartRunEvent => ({
  input,
  execution: { name: "scheduled-20261201T060000Z", startTime: "2026-12-01T06:00:01.123Z" },
  settings: { namePrefix: "qi-dev", modelPackageGroupName: "qi-dev-scratch-detector", compilationTarget: "onnx" },
});

const rejection = (input: unknown) => failureOf(startRun(event(input), { log: recordingLog() }));

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
    const result = await startRun(event({}), { log: recordingLog() });
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
    const result = await startRun(event({ mode: "deploy", modelPackageArn: arn, trigger: "model-approved" }), {
      log: recordingLog(),
    });
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
    let error: Error | undefined;
    try {
      await startRun({ input: {} }, { log: recordingLog() });
    } catch (e) {
      error = e as Error;
    }
    expect(error?.name).to.equal("InvalidEventError");
    expect(error?.message).to.contain("execution");
  });
});
