import { expect } from "chai";
import * as ort from "onnxruntime-node";
import { decodeImage } from "../../lambdas/shared/decode";
import { evaluateModel } from "../../lambdas/evaluateModel/handler";
import { queueKey } from "../../lib/runQueue";
import { onTrigger } from "../../lambdas/startPipeline/handler";
import type { RunEndedResult } from "../../lambdas/startPipeline/runEnded";
import type { RunningExecution } from "../../lib/ports";
import { STATES } from "../../stateMachines/qualityInspection";
import { MODEL_INPUT } from "../fakes/fakeCloud";
import { recordingLog } from "../fakes/memoryPorts";
import { manifestFor, modelTarball } from "../harness/models";
import { convModel } from "../harness/onnxModels";
import { PipelineRun, runPipeline, Scenario, World } from "../harness/pipelineHarness";

// Runs that meet a busy pipeline, and what happens when a run ends: the trigger starter's run-end path on the same
// in-memory world the run used.

const ARN = "arn:aws:sagemaker:eu-west-1:123456789012:model-package/qi-dev-scratch-detector/1";
const MACHINE = "arn:aws:states:eu-west-1:123456789012:stateMachine:qi-dev-pipeline";
const TRAINING_RUN: RunningExecution = { name: "manual-training", startTime: "2020-01-01T00:00:00.000Z" };
const onnx = (a: { compilation: { target: string } }) => void (a.compilation.target = "onnx");

/** A package of an earlier training run: approved at registration (its run deploys it) or approved by a person. */
async function seedPackage(world: World, registeredAs: "Approved" | "PendingManualApproval"): Promise<void> {
  const job = "qi-dev-train-earlier-00000000";
  world.objects.put(
    `models/${job}/output/model.tar.gz`,
    modelTarball(manifestFor({ version: job, input: MODEL_INPUT }), convModel(MODEL_INPUT)),
  );
  const evaluation = await evaluateModel(
    {
      modelDataUrl: `s3://qi-test-lake/models/${job}/output/model.tar.gz`,
      trainingJobName: job,
      datasetId: "earlier",
      minMap50_95: 0.3,
      approvalStatus: "PendingManualApproval",
    },
    { objects: world.objects, log: recordingLog(), ort, decodeImage },
  );
  const validation = [...world.objects.objects.keys()].filter((key) => key.startsWith("images/")).slice(0, 4);
  const lines = validation.map((image, i) =>
    JSON.stringify({ image, image_id: String(i).padStart(32, "0"), width: 90, height: 60, annotations: [] }),
  );
  world.objects.put("datasets/earlier/validation/annotations.jsonl", `${lines.join("\n")}\n`);
  world.cloud.createModelPackage({
    ModelPackageGroupName: "qi-dev-scratch-detector",
    ModelApprovalStatus: "Approved",
    InferenceSpecification: { Containers: [{ Image: "image", ModelDataUrl: "s3://qi-test-lake/x" }] },
    CustomerMetadataProperties: { ...evaluation.metadata, registeredAs },
    ClientToken: job,
  });
}

/** EventBridge's report of an execution's end, delivered to the trigger starter with the run's world behind it. */
async function runEnds(
  world: World,
  ended: { name: string; status: string; notified?: boolean },
  running: RunningExecution[] = [],
) {
  const started: { name: string; input: unknown }[] = [];
  const log = recordingLog();
  const result = (await onTrigger(
    {
      source: "aws.states",
      "detail-type": "Step Functions Execution Status Change",
      detail: {
        executionArn: `arn:aws:states:eu-west-1:123456789012:execution:qi-dev-pipeline:${ended.name}`,
        stateMachineArn: MACHINE,
        name: ended.name,
        status: ended.status,
        error: ended.status === "FAILED" ? "States.TaskFailed" : null,
        cause: null,
      },
    },
    {
      namePrefix: "qi-dev",
      objects: world.objects,
      executions: { list: async () => running },
      pipeline: { start: async (name, input) => (started.push({ name, input }), "started") },
      // What GetExecutionHistory shows: whether the run's own failure notice reached the topic.
      history: { notified: async () => ended.notified ?? false },
      alerts: { publish: async (Subject, Message) => void world.cloud.notifications.push({ Subject, Message }) },
      log,
    },
  )) as RunEndedResult;
  return { result, started };
}

const queued = (run: PipelineRun) => [...run.world.objects.objects.keys()].filter((k) => k.startsWith("run-queue/"));

describe("running the state machine: runs that meet a busy pipeline, and the end of a run", () => {
  const approval = (registeredAs: "Approved" | "PendingManualApproval"): Scenario => ({
    args: onnx,
    executionName: "approved-v1",
    running: [TRAINING_RUN],
    before: (world) => seedPackage(world, registeredAs),
    input: { mode: "deploy", trigger: "model-approved", modelPackageArn: ARN },
  });

  it("an approval the running training run deploys itself ends quietly as skipped, and queues nothing", async () => {
    const run = await runPipeline(approval("Approved"));
    expect(run.error, JSON.stringify(run.error)).to.equal(undefined);
    expect(run.output!.outcome).to.equal("skipped");
    expect(run.path.at(-1)).to.equal(STATES.alreadyDeployed);
    expect(run.notifications).to.deep.equal([]);
    expect(queued(run)).to.deep.equal([]);
  });

  it("an approval that arrives while another run is busy is queued, and started when that run ends", async () => {
    const run = await runPipeline(approval("PendingManualApproval"));
    expect(run.output!.outcome).to.equal("queued");
    expect(run.path).to.deep.equal([
      STATES.startRun,
      STATES.chooseMode,
      STATES.describeModelPackage,
      STATES.routeModel,
      STATES.queueRun,
      STATES.runQueued,
    ]);
    expect(run.output!.run).to.include({ busyWith: TRAINING_RUN.name });
    expect(run.notifications, "not alerted").to.deep.equal([]);
    expect(run.world.cloud.deployments).to.have.length(0);
    const input = { mode: "deploy", trigger: "model-approved", modelPackageArn: ARN };
    expect(JSON.parse(run.world.objects.objects.get(queueKey("approved-v1"))!.body.toString())).to.deep.equal({
      name: "approved-v1",
      input,
    });

    // The busy run's own queued run ending first changes nothing: the training run is still going.
    const early = await runEnds(run.world, { name: "approved-v1", status: "SUCCEEDED" }, [TRAINING_RUN]);
    expect(early.started).to.deep.equal([]);
    expect(queued(run)).to.have.length(1);

    const end = await runEnds(run.world, { name: TRAINING_RUN.name, status: "SUCCEEDED" });
    expect(end.started).to.deep.equal([{ name: "approved-v1-q1", input }]);
    expect(queued(run), "taken from the queue").to.deep.equal([]);
    expect(end.result.alerted).to.equal(false);

    const later = await runPipeline({
      ...approval("PendingManualApproval"),
      executionName: "approved-v1-q1",
      running: [],
    });
    expect(later.output!.outcome).to.equal("deployed");
  });

  it("a scheduled run that finds the pipeline busy is queued before labeling anything, and started when it ends", async () => {
    const input = { mode: "train", trigger: "schedule" };
    const name = "scheduled-20261201T060000Z";
    const run = await runPipeline({ args: onnx, input, executionName: name, running: [TRAINING_RUN] });
    expect(run.output!.outcome).to.equal("queued");
    expect(run.path).to.deep.equal([STATES.startRun, STATES.chooseMode, STATES.queueRun, STATES.runQueued]);
    expect(run.taskInputs[STATES.labelImages], "nothing sent to labelers").to.equal(undefined);
    expect(run.notifications).to.deep.equal([]);

    const end = await runEnds(run.world, { name: TRAINING_RUN.name, status: "FAILED", notified: true });
    expect(end.started).to.deep.equal([{ name: `${name}-q1`, input }]);
    const later = await runPipeline({ args: onnx, input, executionName: `${name}-q1` });
    expect(later.output!.outcome).to.equal("deployed");
  });

  it("a queued run that meets another busy run again queues under its next name", async () => {
    const run = await runPipeline({
      args: onnx,
      input: { mode: "train", trigger: "schedule" },
      executionName: "scheduled-20261201T060000Z-q1",
      running: [TRAINING_RUN],
    });
    expect(run.output!.outcome).to.equal("queued");
    const end = await runEnds(run.world, { name: TRAINING_RUN.name, status: "SUCCEEDED" });
    expect(end.started.map((s) => s.name)).to.deep.equal(["scheduled-20261201T060000Z-q2"]);
  });

  describe("one alert per run that ends badly, never two", () => {
    it("a run that failed through a Catch sent its notice: the end of the run adds none", async () => {
      const run = await runPipeline({ args: onnx, failFirst: { [STATES.buildDataset]: ["States.TaskFailed"] } });
      expect(run.notifications).to.have.length(1);
      const end = await runEnds(run.world, {
        name: "manual-run-1",
        status: "FAILED",
        notified: run.notifications.length > 0,
      });
      expect(end.result.alerted).to.equal(false);
      expect(run.notifications).to.have.length(1);
    });

    it("a run whose failure notice SNS refused is announced once when it ends", async () => {
      const refusals = Array(4).fill("SNS.InternalErrorException");
      const run = await runPipeline({
        args: onnx,
        failFirst: { [STATES.buildDataset]: ["States.TaskFailed"], [STATES.notifyFailure]: refusals },
      });
      expect(run.notifications).to.deep.equal([]);
      const end = await runEnds(run.world, { name: "manual-run-1", status: "FAILED", notified: false });
      expect(end.result.alerted).to.equal(true);
      expect(run.notifications).to.have.length(1);
      expect(run.notifications[0].Subject).to.equal("[qi-dev] quality-inspection run failed: manual-run-1");
      expect(JSON.parse(run.notifications[0].Message)).to.include({
        error: "States.TaskFailed",
        execution: "arn:aws:states:eu-west-1:123456789012:execution:qi-dev-pipeline:manual-run-1",
      });
    });

    for (const status of ["ABORTED", "TIMED_OUT"]) {
      it(`a run that ends ${status} (no Catch runs) is announced once, naming how it ended`, async () => {
        const run = await runPipeline({ args: onnx });
        const end = await runEnds(run.world, { name: "manual-run-1", status });
        expect(end.result.alerted).to.equal(true);
        expect(run.notifications.map((n) => n.Subject)).to.deep.equal([
          `[qi-dev] quality-inspection run ${status.toLowerCase().replace("_", " ")}: manual-run-1`,
        ]);
        expect(JSON.parse(run.notifications[0].Message)).to.include({ error: `States.${status}` });
      });
    }

    it("a run that succeeded is not announced", async () => {
      const run = await runPipeline({ args: onnx });
      const end = await runEnds(run.world, { name: "manual-run-1", status: "SUCCEEDED" });
      expect(end.result.alerted).to.equal(false);
      expect(run.notifications).to.deep.equal([]);
    });
  });
});
