import { expect } from "chai";
import type { HistoryEvent } from "@aws-sdk/client-sfn";
import {
  buildProgress,
  failedState,
  fromExecutionHistory,
  ProgressEvent,
  StageDefinition,
  stageProgress,
} from "../../stateMachines/progress";
import { formatDuration, renderStageChanges, renderStageTable } from "../../cli/render";
import { HistoryBuilder, HistoryEventJson } from "../harness/sfnHistory";

const STAGES: StageDefinition[] = [
  { name: "Find images", states: ["FindUnlabeledImages", "AnythingToLabel"] },
  { name: "Labeling", states: ["Labeling", "IngestLabels"] },
  { name: "Training", states: ["Train"] },
  { name: "Deploy", states: ["Deploy"] },
];

/** The SDK hands the CLI Date objects; the fixtures hold epoch seconds as the wire does. */
const asSdk = (events: HistoryEventJson[]) =>
  events.map((e) => ({ ...e, timestamp: new Date(e.timestamp * 1000) }) as unknown as HistoryEvent);
const progressOf = (builder: HistoryBuilder) => buildProgress(fromExecutionHistory(asSdk(builder.events)));

describe("execution progress", () => {
  it("follows a successful execution state by state", () => {
    const history = new HistoryBuilder()
      .started()
      .task("FindUnlabeledImages", 2)
      .pass("AnythingToLabel", "Choice")
      .task("Labeling", 300)
      .task("IngestLabels", 5)
      .task("Train", 600)
      .task("Deploy", 30)
      .succeeded({ deployed: true });
    const progress = progressOf(history);
    expect(progress.status).to.equal("SUCCEEDED");
    expect(progress.runs.map((r) => `${r.name}:${r.status}`)).to.deep.equal([
      "FindUnlabeledImages:succeeded",
      "AnythingToLabel:succeeded",
      "Labeling:succeeded",
      "IngestLabels:succeeded",
      "Train:succeeded",
      "Deploy:succeeded",
    ]);
    const stages = stageProgress(progress, STAGES);
    expect(stages.map((s) => s.status)).to.deep.equal(["succeeded", "succeeded", "succeeded", "succeeded"]);
    expect((stages[2].endedAt! - stages[2].startedAt!) / 1000).to.equal(600);
  });

  it("counts retries and keeps the state running between attempts", () => {
    const throttled = { error: "Lambda.TooManyRequestsException", cause: "Rate exceeded" };
    const history = new HistoryBuilder().started().enter("FindUnlabeledImages").attempt(throttled).after(2);
    let progress = progressOf(history);
    expect(progress.runs[0]).to.include({ status: "failed", attempts: 1, error: "Lambda.TooManyRequestsException" });

    history.attempt(throttled).after(4).attempt("ok").exit("FindUnlabeledImages");
    progress = progressOf(history);
    expect(progress.runs[0]).to.include({ status: "succeeded", attempts: 3 });
    expect(stageProgress(progress, STAGES)[0]).to.include({ status: "succeeded", retries: 2 });
    expect(failedState(progress)).to.equal(undefined);
  });

  it("reports a caught failure at the state that failed, not at the failure handler", () => {
    const history = new HistoryBuilder()
      .started()
      .task("FindUnlabeledImages")
      .pass("AnythingToLabel", "Choice")
      .task("Labeling")
      .task("IngestLabels")
      .enter("Train")
      .attempt({ error: "SageMaker.TrainingJobFailed", cause: "AlgorithmError: CUDA out of memory" }, 120)
      .task("NotifyFailure")
      .enter("PipelineFailed", "Fail")
      .failed("SageMaker.TrainingJobFailed", "AlgorithmError: CUDA out of memory");
    const progress = progressOf(history);
    expect(progress.status).to.equal("FAILED");
    expect(failedState(progress)).to.include({
      name: "Train",
      status: "caught",
      error: "SageMaker.TrainingJobFailed",
      cause: "AlgorithmError: CUDA out of memory",
    });
    expect(progress.runs.find((r) => r.name === "NotifyFailure")?.status).to.equal("succeeded");
    const stages = stageProgress(progress, STAGES);
    expect(stages.map((s) => `${s.name}:${s.status}`)).to.deep.equal([
      "Find images:succeeded",
      "Labeling:succeeded",
      "Training:failed",
      "Deploy:skipped",
      "NotifyFailure:succeeded",
      "PipelineFailed:succeeded",
    ]);
  });

  it("fails the state itself when nothing catches the error", () => {
    const history = new HistoryBuilder()
      .started()
      .enter("FindUnlabeledImages")
      .attempt({ error: "States.Timeout", cause: "" })
      .failed("States.Timeout", "");
    const progress = progressOf(history);
    expect(progress.runs[0]).to.include({ status: "failed", error: "States.Timeout" });
    expect(progress.runs[0].endedAt).to.equal(progress.endedAt);
  });

  it("counts each Map iteration's run of its inner state", () => {
    const history = new HistoryBuilder().started().map("PutLabels", "PutBatch", 3).succeeded();
    const progress = progressOf(history);
    expect(progress.runs.filter((r) => r.name === "PutBatch")).to.have.length(3);
    const stages = stageProgress(progress, [{ name: "Ingest", states: ["PutLabels", "PutBatch"] }]);
    expect(stages[0]).to.include({ status: "succeeded", retries: 0 });
  });

  it("reads the local interpreter's event log the same way", () => {
    const events: ProgressEvent[] = [
      { type: "ExecutionStarted", at: 0 },
      { type: "StateEntered", at: 0, state: "Train" },
      { type: "StateFailed", at: 5, state: "Train", error: "SageMaker.TrainingJobFailed", cause: "boom" },
      { type: "StateCaught", at: 5, state: "Train" },
      { type: "StateEntered", at: 5, state: "NotifyFailure" },
      { type: "StateExited", at: 6, state: "NotifyFailure" },
      { type: "ExecutionFailed", at: 6, error: "SageMaker.TrainingJobFailed", cause: "boom" },
    ];
    expect(failedState(buildProgress(events))).to.include({ name: "Train", status: "caught" });
  });
});

describe("progress rendering", () => {
  it("formats durations for people", () => {
    expect(formatDuration(4_000)).to.equal("4s");
    expect(formatDuration(248_000)).to.equal("4m 08s");
    expect(formatDuration(3_720_000)).to.equal("1h 02m");
  });

  it("draws one aligned line per stage with elapsed time and retries", () => {
    const history = new HistoryBuilder().started().task("FindUnlabeledImages", 3, [{ error: "x", cause: "y" }]);
    history.enter("Labeling");
    const stages = stageProgress(progressOf(history), STAGES);
    const now = history.events.at(-1)!.timestamp * 1000 + 65_000;
    expect(renderStageTable(stages, now)).to.deep.equal([
      "✔ Find images  succeeded       8s  (1 retry)",
      "▶ Labeling     running     1m 05s",
      "· Training     pending",
      "· Deploy       pending",
    ]);
  });

  it("prints a log line only when a stage changes", () => {
    const history = new HistoryBuilder().started().task("FindUnlabeledImages", 2);
    const first = stageProgress(progressOf(history), STAGES);
    history.enter("Labeling");
    const second = stageProgress(progressOf(history), STAGES);
    const now = history.events.at(-1)!.timestamp * 1000;
    expect(renderStageChanges([], first, now)).to.deep.equal(["Find images: succeeded in 2s"]);
    expect(renderStageChanges(first, second, now)).to.deep.equal(["Labeling: running"]);
    expect(renderStageChanges(second, second, now)).to.deep.equal([]);
  });
});
