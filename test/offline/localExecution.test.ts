import { expect } from "chai";
import { asLambdaInvocation } from "../../offline/lambdas";
import { handlersByState, MissingTaskHandlerError, runLocally } from "../../offline/localExecution";
import type { StateMachineDefinition } from "../../stateMachines/asl";
import { buildProgress, failedState, fromLocalEventLog, stageProgress } from "../../stateMachines/progress";

const LAMBDA = "arn:aws:lambda:eu-west-1:000000000000:function:qi-dev-work";
const SNS = "arn:aws:states:::sns:publish";

/** Work (retried once on Throttled) → on any error: Notify → Failed (a Fail state with the error's name and cause). */
const definition: StateMachineDefinition = {
  Comment: "test",
  StartAt: "Work",
  States: {
    Work: {
      Type: "Task",
      Resource: LAMBDA,
      TimeoutSeconds: 10,
      Retry: [{ ErrorEquals: ["Throttled"], IntervalSeconds: 1, MaxAttempts: 2, BackoffRate: 1 }],
      Catch: [{ ErrorEquals: ["States.ALL"], ResultPath: "$.caught", Next: "Notify" }],
      End: true,
    },
    Notify: { Type: "Task", Resource: SNS, TimeoutSeconds: 10, ResultPath: null, Next: "Failed" },
    Failed: { Type: "Fail", ErrorPath: "$.caught.Error", CausePath: "$.caught.Cause" },
  },
};
const STAGES = [
  { name: "Work", states: ["Work"] },
  { name: "Failure notice", states: ["Notify", "Failed"] },
];
const execution = {
  region: "eu-west-1",
  account: "000000000000",
  stateMachineName: "m",
  name: "run-1",
  startTime: new Date(),
};

class DatasetTooSmallError extends Error {
  override name = "DatasetTooSmallError";
}

describe("offline: running a definition locally", () => {
  it("serves each Task by its resource, and refuses to start when one has no local implementation", () => {
    const work = () => ({ ok: true });
    const handlers = handlersByState(definition, { [LAMBDA]: work, [SNS]: () => ({}) });
    expect(Object.keys(handlers).sort()).to.deep.equal(["Notify", "Work"]);
    expect(() => handlersByState(definition, { [LAMBDA]: work })).to.throw(
      MissingTaskHandlerError,
      "no local implementation for Notify (arn:aws:states:::sns:publish)",
    );
  });

  it("hands results on as JSON and names the execution like Step Functions", async () => {
    const run = await runLocally(definition, {
      input: { n: 1 },
      execution,
      handlers: handlersByState(definition, { [LAMBDA]: () => ({ at: new Date(0), n: 2 }), [SNS]: () => ({}) }),
    });
    expect(run.status).to.equal("SUCCEEDED");
    expect(run.output).to.deep.equal({ at: "1970-01-01T00:00:00.000Z", n: 2 });
    expect(run.executionArn).to.equal("arn:aws:states:eu-west-1:000000000000:execution:m:run-1");
  });

  it("retries, catches and fails as Step Functions would, and progress reads it like an execution history", async () => {
    let calls = 0;
    const work = asLambdaInvocation(() => {
      calls += 1;
      if (calls === 1) throw Object.assign(new Error("slow down"), { name: "Throttled" });
      throw new DatasetTooSmallError("only 3 images");
    });
    const run = await runLocally(definition, {
      input: {},
      execution,
      handlers: handlersByState(definition, { [LAMBDA]: work, [SNS]: () => ({}) }),
      retryMs: { Work: 0 },
    });
    expect(run.status).to.equal("FAILED");
    expect(run.error?.Error).to.equal("DatasetTooSmallError");
    // Lambda's error payload is the cause.
    const cause = JSON.parse(run.error!.Cause);
    expect(cause).to.include({ errorType: "DatasetTooSmallError", errorMessage: "only 3 images" });
    expect(
      cause.trace.some((line: string) => /offline[\\/]localExecution|aws-local-stepfunctions/.test(line)),
    ).to.equal(false);

    const progress = buildProgress(fromLocalEventLog(run.events));
    expect(progress.status).to.equal("FAILED");
    expect(stageProgress(progress, STAGES).map((s) => [s.name, s.status, s.retries])).to.deep.equal([
      ["Work", "failed", 1],
      // The Fail state ended the run on purpose: the notice itself succeeded.
      ["Failure notice", "succeeded", 0],
    ]);
    expect(failedState(progress, STAGES)).to.include({ name: "Work", status: "caught", error: "DatasetTooSmallError" });
  });
});
