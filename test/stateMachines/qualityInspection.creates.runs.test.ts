import { expect } from "chai";
import { followStates } from "../../stateMachines/followJob";
import { failedStateOf, STATES } from "../../stateMachines/qualityInspection";
import { runPipeline, Scenario } from "../harness/pipelineHarness";

// Creates of SageMaker jobs are idempotent: our job names are deterministic, so a create that meets ResourceInUse
// after a retry means the first attempt started the job, and the run follows it instead of failing or starting two.

const onnx = (a: { compilation: { target: string } }) => void (a.compilation.target = "onnx");
const CREATES: [string, Scenario][] = [
  [STATES.labelImages, { args: onnx }],
  [
    STATES.verifyLabels,
    {
      args: (a) => {
        onnx(a);
        a.labeling.verification = true;
      },
    },
  ],
  [STATES.trainModel, { args: onnx }],
];
const LOST_RESPONSE = "SageMaker.InternalFailureException";

describe("running the state machine: creates of SageMaker jobs retried and followed", () => {
  for (const [create, scenario] of CREATES) {
    const s = followStates(create);

    it(`${create}: a create whose response was lost is retried, meets ResourceInUse and follows its job`, async () => {
      const run = await runPipeline({ ...scenario, failAfter: { [create]: [LOST_RESPONSE] } });
      expect(run.error, JSON.stringify(run.error)).to.equal(undefined);
      expect(run.retried).to.deep.equal([create]);
      const at = run.path.lastIndexOf(create);
      expect(run.path.slice(at, at + 5)).to.deep.equal([create, s.follow, s.describe, s.done, s.use]);
      expect(run.output!.outcome).to.equal("deployed");
      expect(run.notifications).to.deep.equal([]);
    });

    it(`${create}: a followed job still running is checked again until it completes`, async () => {
      const run = await runPipeline({
        ...scenario,
        failAfter: { [create]: [LOST_RESPONSE] },
        cloud: { followedStatuses: ["InProgress", "InProgress", "Completed"] },
      });
      expect(run.path.filter((state) => state === s.describe)).to.have.length(3);
      expect(run.path.filter((state) => state === s.wait)).to.have.length(2);
      expect(run.output!.outcome).to.equal("deployed");
    });

    it(`${create}: a followed job that fails fails the run, naming the job`, async () => {
      const run = await runPipeline({
        ...scenario,
        failAfter: { [create]: [LOST_RESPONSE] },
        cloud: { followedStatuses: ["InProgress", "Failed"] },
      });
      expect(run.path.slice(-3)).to.deep.equal([s.failed, STATES.notifyFailure, STATES.pipelineFailed]);
      const message = JSON.parse(run.notifications[0].Message) as { error: string; cause: string };
      expect(message.error).to.equal(`${create}JobFailed`);
      expect(message.cause).to.match(
        new RegExp(`^job qi-dev-.* \\(started by an earlier attempt of ${create}\\) ended as Failed$`),
      );
    });
  }

  it("a followed job that never ends stops the run after the Task's own time budget", async () => {
    const run = await runPipeline({
      args: (a) => {
        onnx(a);
        a.training.maxRuntimeSeconds = 600;
      },
      failAfter: { [STATES.trainModel]: [LOST_RESPONSE] },
      cloud: { followedStatuses: ["InProgress"] },
    });
    const s = followStates(STATES.trainModel);
    expect(run.path.slice(-3)).to.deep.equal([s.timedOut, STATES.notifyFailure, STATES.pipelineFailed]);
    // (600 s + an hour) / 60 s between checks.
    expect(run.path.filter((state) => state === s.describe)).to.have.length(70);
  });

  for (const create of [STATES.labelImages, STATES.verifyLabels]) {
    it(`${create}: a followed labeling job that never ends stops after the labeling budget, checked hourly`, async () => {
      const run = await runPipeline({
        args: (a) => {
          onnx(a);
          a.labeling.verification = true;
        },
        failAfter: { [create]: [LOST_RESPONSE] },
        cloud: { followedStatuses: ["InProgress"] },
      });
      const s = followStates(create);
      expect(run.path.slice(-3)).to.deep.equal([s.timedOut, STATES.notifyFailure, STATES.pipelineFailed]);
      // A private team's 10 days plus a day, hourly.
      expect(run.path.filter((state) => state === s.describe)).to.have.length(264);
    });
  }

  for (const [create, scenario] of CREATES) {
    it(`${create}: an error the integration reports as AmazonSageMakerException (a validation error) is not retried`, async () => {
      const run = await runPipeline({ ...scenario, failFirst: { [create]: ["SageMaker.AmazonSageMakerException"] } });
      expect(run.retried).to.deep.equal([]);
      expect(run.path.slice(-3)).to.deep.equal([failedStateOf(create), STATES.notifyFailure, STATES.pipelineFailed]);
      expect(run.world.cloud.trainingJobs).to.have.length(0);
    });
  }
});
