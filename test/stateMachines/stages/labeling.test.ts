import { expect } from "chai";
import { LABELING_BATCH_REJECTED } from "../../../contracts/labelingBatch";
import { BatchSession, LocalVersionedObjects } from "../../../labeler";
import { failedStateOf, STATES } from "../../../stateMachines/qualityInspection";
import { buildPipelineDefinition } from "../../../stateMachines/qualityInspection";
import { runPipeline, Scenario, testDefinitionArgs, World } from "../../harness/pipelineHarness";

const BOX = { class_id: 0, left: 5, top: 6, width: 30, height: 12 };

/** The run's labeling as the labeling app: `decide` labels (or rejects) the batch the run waits for. */
function builtin(scenario: Scenario, timeouts = { heartbeatSeconds: 3600, timeoutSeconds: 7200 }): Scenario {
  return {
    ...scenario,
    args: (args) => {
      args.labeling.provider = "builtin";
      args.labeling.workforce = { kind: "none" };
      args.labeling.builtin = timeouts;
    },
  };
}

const sessionOf = (batchKey: string, world: World) =>
  BatchSession.open(
    { objects: world.objects, versioned: new LocalVersionedObjects(world.objects), callbacks: world.tokens },
    batchKey,
  );

describe("the labeling stage's LabelImages with the labeling app (labeling.provider=builtin)", () => {
  const args = testDefinitionArgs();
  Object.assign(args.labeling, {
    provider: "builtin",
    workforce: { kind: "none" },
    builtin: { heartbeatSeconds: 600, timeoutSeconds: 86_400 },
  });

  it("writes the batch file with its task token and waits, with the stack's heartbeat and timeout", () => {
    const state = buildPipelineDefinition(args).States[STATES.labelImages];
    expect(state).to.deep.include({
      Resource: "arn:aws:states:::aws-sdk:s3:putObject.waitForTaskToken",
      HeartbeatSeconds: 600,
      TimeoutSeconds: 86_400,
      ResultPath: "$.labeling",
      Next: STATES.ingestLabels,
    });
    const { Parameters } = state as { Parameters: Record<string, unknown> };
    expect(Parameters["Key.$"]).to.equal("States.Format('labeling/{}/batch.json', $.run.names.labelingJob)");
    expect(Parameters.Body).to.deep.include({
      "taskToken.$": "$$.Task.Token",
      "outputUri.$": "$.labelingJob.outputUri",
    });
    expect(buildPipelineDefinition(args).States).to.not.have.property(STATES.verifyLabels);
  });

  it("refuses to build Ground Truth's jobs without a workforce", () => {
    expect(() =>
      buildPipelineDefinition({ ...args, labeling: { ...args.labeling, provider: "groundtruth" } }),
    ).to.throw("[labeling] Ground Truth needs a workforce");
  });
});

describe("labeling with the labeling app: LabelImages waits for the batch's task token (local runs)", function () {
  this.timeout(30_000);

  it("continues into IngestLabels with the boxes people saved, once the last image is saved", async () => {
    const run = await runPipeline(
      builtin({
        newImages: 3,
        labelBatch: async (batchKey, world) => {
          const session = await sessionOf(batchKey, world);
          for (const [i, image] of session.images.entries()) {
            await session.save(image.id, i === 1 ? "ben" : "ana", {
              width: 90,
              height: 60,
              annotations: i === 1 ? [] : [BOX],
            });
          }
        },
      }),
    );
    expect(run.labelBatchError).to.equal(undefined);
    expect(run.error).to.equal(undefined);
    expect(run.path).to.include.members([STATES.labelImages, STATES.ingestLabels, STATES.buildDataset]);
    expect(run.path).to.not.include(STATES.verifyLabels);
    const [ingest] = run.taskInputs[STATES.ingestLabels] as { manifestUri: string }[];
    expect(ingest.manifestUri).to.match(
      /^s3:\/\/qi-test-lake\/labeling\/.+\/output\/.+\/manifests\/output\/output\.manifest$/,
    );
    const fresh = [...run.world.labels.records.values()].filter((r) => r.source_ref.includes("/new-"));
    expect(fresh.map((r) => JSON.parse(r.annotations)).sort((a, b) => a.length - b.length)).to.deep.equal([
      [],
      [BOX],
      [BOX],
    ]);
    const [batch] = run.taskInputs[STATES.labelImages] as { Key: string; Body: { taskToken: string } }[];
    expect(batch.Key).to.match(/^labeling\/.+\/batch\.json$/);
    expect(batch.Body.taskToken).to.match(/^local-task-token-/);
  });

  it("fails the run, and says why, when a person rejects the batch", async () => {
    const run = await runPipeline(
      builtin({
        labelBatch: async (batchKey, world) => (await sessionOf(batchKey, world)).reject("ana", "wrong camera"),
      }),
    );
    expect(run.error, "the run failed").to.not.equal(undefined);
    expect(run.path).to.include(failedStateOf(STATES.labelImages));
    expect(run.path).to.not.include(STATES.ingestLabels);
    expect(run.notifications).to.have.length(1);
    expect(run.notifications[0].Message).to.contain(LABELING_BATCH_REJECTED).and.contain("ana: wrong camera");
  });

  it("fails the run with States.Timeout when the batch is not done in time, heartbeats or not", async () => {
    let beating: NodeJS.Timeout | undefined;
    const run = await runPipeline(
      builtin(
        {
          // Someone keeps the batch alive (the app's heartbeat on each save) but never finishes it.
          labelBatch: (_batchKey, world) => {
            const [token] = world.tokens.open;
            beating = setInterval(() => void world.tokens.heartbeat(token).catch(() => clearInterval(beating)), 300);
          },
        },
        { heartbeatSeconds: 1, timeoutSeconds: 2 },
      ),
    );
    clearInterval(beating);
    expect(run.path).to.include(failedStateOf(STATES.labelImages)).and.not.include(STATES.ingestLabels);
    expect(run.notifications[0].Message).to.contain("States.Timeout");
  });

  it("fails the run with States.HeartbeatTimeout when no one saves a label for HeartbeatSeconds", async () => {
    const run = await runPipeline(builtin({}, { heartbeatSeconds: 1, timeoutSeconds: 20 }));
    expect(run.path).to.include(failedStateOf(STATES.labelImages));
    expect(run.notifications[0].Message).to.contain("States.HeartbeatTimeout");
  });
});
