import { expect } from "chai";
import type { Retrier, TaskState } from "../../stateMachines/asl";
import { buildPipelineDefinition, failedStateOf, STATES } from "../../stateMachines/qualityInspection";
import { followStates } from "../../stateMachines/followJob";
import { runPipeline, Scenario, testDefinitionArgs } from "../harness/pipelineHarness";

// Each Task's Catch and each of its Retry clauses, driven through a real run: the table comes from the definition, so
// a Task or retrier added later gets its run here too.

/** The create Tasks whose job a run follows when a retried create meets ResourceInUse. */
const FOLLOWED = [STATES.labelImages, STATES.verifyLabels, STATES.trainModel];

/** The stack config under which a run reaches this Task. */
function reaching(task: string): Scenario {
  const followed = FOLLOWED.find((create) => followStates(create).describe === task);
  // The create succeeds, its response is lost, the retry meets ResourceInUse: the run follows the job.
  if (followed) return { ...reaching(followed), failAfter: { [followed]: ["SageMaker.InternalFailureException"] } };
  if (task === STATES.optimiseOnnx) return { args: (a) => void (a.compilation.target = "onnx") };
  if (task === STATES.verifyLabels) return { args: (a) => void (a.labeling.verification = true) };
  if (task === STATES.queueRun)
    return { input: { trigger: "schedule" }, running: [{ name: "earlier", startTime: "2020-01-01T00:00:00.000Z" }] };
  return {};
}

/** Every Task of every definition variant the scenarios above build, except the failure notice's own. */
function tasks(): [string, TaskState][] {
  const found = new Map<string, TaskState>();
  for (const scenario of [reaching(STATES.optimiseOnnx), reaching(STATES.verifyLabels), reaching("")]) {
    const args = testDefinitionArgs();
    scenario.args?.(args);
    for (const [name, state] of Object.entries(buildPipelineDefinition(args).States))
      if (state.Type === "Task" && name !== STATES.notifyFailure && !found.has(name)) found.set(name, state);
  }
  return [...found];
}

/** An error this Task's retriers match: the first name of the clause that no earlier clause also matches. */
const errorFor = (retriers: Retrier[], index: number) =>
  retriers[index].ErrorEquals.find((name) => !retriers.slice(0, index).some((r) => r.ErrorEquals.includes(name)))!;

describe("running the state machine: every Task's Catch and retriers", () => {
  for (const [task, state] of tasks()) {
    it(`an error in ${task} is caught: one notification naming ${task}, and the run fails`, async () => {
      const run = await runPipeline({ ...reaching(task), failFirst: { [task]: ["States.TaskFailed"] } });
      expect(run.path, "the state was reached").to.include(task);
      expect(run.path.slice(-3)).to.deep.equal([failedStateOf(task), STATES.notifyFailure, STATES.pipelineFailed]);
      expect(run.notifications).to.have.length(1);
      expect(JSON.parse(run.notifications[0].Message)).to.include({ state: task, error: "States.TaskFailed" });
      expect(run.error?.Error).to.equal("States.TaskFailed");
    });

    (state.Retry ?? []).forEach((_, index) => {
      const error = errorFor(state.Retry!, index);
      it(`${task} retries ${error} (Retry[${index}]) and the run goes on without a notification`, async () => {
        const run = await runPipeline({ ...reaching(task), failFirst: { [task]: [error] } });
        expect(run.retried.filter((state) => state === task)).to.deep.equal([task]);
        expect(run.error, JSON.stringify(run.error)).to.equal(undefined);
        expect(run.output!.outcome).to.equal("deployed");
        expect(run.notifications).to.deep.equal([]);
      });
    });
  }

  it("a Task that runs past its TimeoutSeconds (States.Timeout) is caught and notified like any error", async () => {
    const run = await runPipeline({ failFirst: { [STATES.trainModel]: ["States.Timeout"] } });
    expect(run.path.slice(-3)).to.deep.equal([
      failedStateOf(STATES.trainModel),
      STATES.notifyFailure,
      STATES.pipelineFailed,
    ]);
    expect(JSON.parse(run.notifications[0].Message)).to.include({ state: STATES.trainModel, error: "States.Timeout" });
    expect(run.world.cloud.deployments).to.have.length(0);
  });

  it("a Neo job stopped without a reason fails in NeoCompilationStopped, naming the status", async () => {
    const run = await runPipeline({ cloud: { neoStatuses: ["INPROGRESS", "STOPPED"] } });
    expect(run.path.slice(-3)).to.deep.equal([
      STATES.neoCompilationStopped,
      STATES.notifyFailure,
      STATES.pipelineFailed,
    ]);
    const message = JSON.parse(run.notifications[0].Message) as { error: string; cause: string };
    expect(message.error).to.equal("NeoCompilationFailed");
    expect(message.cause).to.match(/^Neo compilation job qi-dev-.* ended as STOPPED$/);
  });

  it("a failure notice SNS refuses once is retried and sent once", async () => {
    const run = await runPipeline({
      failFirst: {
        [STATES.buildDataset]: ["States.TaskFailed"],
        [STATES.notifyFailure]: ["SNS.InternalErrorException"],
      },
    });
    expect(run.retried).to.deep.equal([STATES.notifyFailure]);
    expect(run.notifications).to.have.length(1);
    expect(run.error?.Error).to.equal("States.TaskFailed");
  });

  it("a failure notice SNS keeps refusing is caught: the run still fails with the original error", async () => {
    const refusals = Array(4).fill("SNS.InternalErrorException");
    const run = await runPipeline({
      failFirst: { [STATES.buildDataset]: ["States.TaskFailed"], [STATES.notifyFailure]: refusals },
    });
    expect(run.retried).to.deep.equal(Array(3).fill(STATES.notifyFailure));
    expect(run.path.slice(-2)).to.deep.equal([STATES.notifyFailure, STATES.pipelineFailed]);
    expect(run.notifications).to.deep.equal([]);
    expect(run.error?.Error).to.equal("States.TaskFailed");
  });
});
