import { expect } from "chai";
import { componentNames, modelComponentVersion } from "../../contracts/modelComponent";
import { pipelineOutputSchema } from "../../contracts/pipelineInput";
import { evaluateModel } from "../../lambdas/evaluateModel/handler";
import { runNames } from "../../lib/runNames";
import { failedStateOf, STATES } from "../../stateMachines/qualityInspection";
import { MODEL_INPUT } from "../fakes/fakeCloud";
import { recordingLog } from "../fakes/memoryPorts";
import { manifestFor, modelTarball } from "../harness/models";
import { convModel } from "../harness/onnxModels";
import { DEPLOYMENT, PipelineRun, runPipeline, World } from "../harness/pipelineHarness";

const MODEL_COMPONENT = componentNames("qi-dev").model;
const NEO_LOOP = [STATES.waitForNeoCompilation, STATES.describeNeoCompilation, STATES.neoCompilationDone];
const DEPLOY_LOOP = [STATES.waitForDeployment, STATES.describeDeploymentJob, STATES.deploymentDone];
const TRAINING_PATH = [
  STATES.startRun,
  STATES.chooseMode,
  STATES.findUnlabeledImages,
  STATES.anythingToLabel,
  STATES.prepareLabelingJob,
  STATES.labelImages,
  STATES.ingestLabels,
  STATES.buildDataset,
  STATES.trainModel,
  STATES.evaluateModel,
  STATES.registerModel,
  STATES.describeModelPackage,
  STATES.routeModel,
  STATES.chooseCompilation,
];
const DEPLOY_PATH = [
  STATES.createModelComponent,
  STATES.createDeployment,
  ...DEPLOY_LOOP,
  STATES.countDeploymentPoll,
  ...DEPLOY_LOOP,
  STATES.countDeploymentPoll,
  ...DEPLOY_LOOP,
  STATES.deployed,
];
const onnx = { args: (a: { compilation: { target: string } }) => void (a.compilation.target = "onnx") };

/** The names the run gave its jobs (they hash the execution's start time, which the local runner sets to now). */
function namesOf(run: PipelineRun) {
  const event = run.taskInputs[STATES.startRun][0] as { execution: { name: string; startTime: string } };
  return runNames("qi-dev", event.execution.name, event.execution.startTime);
}

/** The failure record a run's single notification carries. */
function notified(run: PipelineRun) {
  expect(run.notifications, "exactly one notification").to.have.length(1);
  return JSON.parse(run.notifications[0].Message) as {
    state: string;
    error: string;
    cause: string;
    execution: string;
    console: string;
  };
}

function expectFailedAt(run: PipelineRun, failurePass: string, state: string, error: string, deployments = 0) {
  expect(run.output).to.equal(undefined);
  expect(run.path.slice(-3)).to.deep.equal([failurePass, STATES.notifyFailure, STATES.pipelineFailed]);
  const message = notified(run);
  expect(message).to.include({
    state,
    error,
    execution: "arn:aws:states:eu-west-1:123456789012:execution:qi-dev-pipeline:manual-run-1",
  });
  expect(message.console).to.match(/^https:\/\/eu-west-1\.console\.aws\.amazon\.com\/states\/.*manual-run-1$/);
  expect(run.notifications[0].Subject).to.equal(`[qi-dev] quality-inspection run failed in ${state}`);
  expect(run.error).to.deep.equal({ Error: error, Cause: message.cause });
  expect(run.world.cloud.deployments, "deployments created").to.have.length(deployments);
  return message;
}

/** Registers a trained model as the training run would have, for deploy runs. */
async function seedPackage(world: World, approval: string, registeredAs: string): Promise<string> {
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
    { objects: world.objects, log: recordingLog() },
  );
  // The golden images of the model's dataset, which CompileOnnx reads.
  const validation = [...world.objects.objects.keys()].filter((key) => key.startsWith("images/")).slice(0, 4);
  const lines = validation.map((image, i) =>
    JSON.stringify({ image, image_id: String(i).padStart(32, "0"), width: 90, height: 60, annotations: [] }),
  );
  world.objects.put("datasets/earlier/validation/annotations.jsonl", `${lines.join("\n")}\n`);
  const { ModelPackageArn } = world.cloud.createModelPackage({
    ModelPackageGroupName: "qi-dev-scratch-detector",
    ModelApprovalStatus: approval,
    InferenceSpecification: { Containers: [{ Image: "image", ModelDataUrl: "s3://qi-test-lake/x" }] },
    CustomerMetadataProperties: { ...evaluation.metadata, registeredAs },
    ClientToken: job,
  });
  return ModelPackageArn;
}

describe("running the state machine (aws-local-stepfunctions, real Lambda handlers on in-memory AWS)", () => {
  describe("the happy path with a Neo target", () => {
    let run: PipelineRun;
    before(async () => {
      run = await runPipeline();
    });

    it("labels, trains, compiles with Neo (3 checks) and deploys (3 checks)", () => {
      expect(run.error).to.equal(undefined);
      expect(run.path).to.deep.equal([
        ...TRAINING_PATH,
        STATES.startNeoCompilation,
        ...NEO_LOOP,
        STATES.countNeoPoll,
        ...NEO_LOOP,
        STATES.countNeoPoll,
        ...NEO_LOOP,
        STATES.useNeoOutput,
        ...DEPLOY_PATH,
      ]);
      expect(run.transitions).to.be.at.most(60);
    });

    it("reports the outcome and every stage in its output", () => {
      const output = pipelineOutputSchema.parse(run.output);
      expect(output.outcome).to.equal("deployed");
      expect(output.run).to.include({ mode: "train", trigger: "manual", executionName: "manual-run-1" });
      expect(run.output).to.deep.include({
        unlabeled: {
          images: 40,
          labeled: 30,
          unlabeled: 10,
          selected: 10,
          selectionKey: `labeling/${namesOf(run).labelingJob}/selection.json`,
        },
      });
      expect(run.output!.ingest).to.include({ ingested: 10, rejected: 0 });
      const dataset = run.output!.dataset as { counts: Record<string, number> };
      expect(dataset.counts.train + dataset.counts.validation + dataset.counts.test).to.equal(40);
      expect(run.output!.evaluation).to.include({ passed: true, approvalStatus: "Approved" });
      expect(run.output!.deployment).to.deep.include({ deploymentId: "4f1e5d3c-deployment", polls: { n: 3 } });
    });

    it("sends no notification", () => {
      expect(run.notifications).to.deep.equal([]);
    });

    it("stores the new labels and trains on the dataset it built", () => {
      expect(run.world.labels.records.size).to.equal(40);
      const training = run.world.cloud.trainingJobs[0] as {
        TrainingJobName: string;
        HyperParameters: Record<string, string>;
      };
      expect(training.TrainingJobName)
        .to.equal(namesOf(run).trainingJob)
        .and.match(/^qi-dev-train-manual-run-1-[0-9a-f]{8}$/);
      expect(training.HyperParameters["class-names"]).to.equal("scratch");
    });

    it("publishes model component 1.0.<package version> with the model files and the Neo archive", () => {
      const version = modelComponentVersion(1);
      expect((run.output!.component as { componentVersion: string }).componentVersion).to.equal(version);
      expect(run.world.cloud.componentFiles(MODEL_COMPONENT, version)).to.deep.equal([
        `components/${MODEL_COMPONENT}/${version}/model-jetson_xavier.tar.gz`,
        `components/${MODEL_COMPONENT}/${version}/model.json`,
        `components/${MODEL_COMPONENT}/${version}/model.onnx`,
      ]);
      const deployment = run.world.cloud.deployments[0] as { Components: Record<string, { ComponentVersion: string }> };
      expect(deployment.Components[MODEL_COMPONENT]).to.deep.equal({ ComponentVersion: version });
    });

    it("compiles for the configured device, with the model's input shape", () => {
      const job = run.world.cloud.compilationJobs[0] as {
        InputConfig: Record<string, string>;
        OutputConfig: Record<string, string>;
      };
      expect(job.OutputConfig).to.deep.include({
        TargetDevice: "jetson_xavier",
        S3OutputLocation: `s3://qi-test-lake/compiled/${namesOf(run).trainingJob}/neo/`,
      });
      expect(job.InputConfig).to.include({ Framework: "ONNX", DataInputConfig: '{"images":[1,3,48,64]}' });
    });
  });

  it("the happy path with onnxruntime optimises the model in a Lambda and ships the optimised file", async () => {
    const run = await runPipeline(onnx);
    expect(run.path).to.deep.equal([...TRAINING_PATH, STATES.optimiseOnnx, ...DEPLOY_PATH]);
    expect(run.output!.outcome).to.equal("deployed");
    expect(run.output!.compiled).to.include({
      modelKey: `compiled/${namesOf(run).trainingJob}/model.onnx`,
      goldenImages: 4,
    });
    const shipped = run.world.objects.objects.get(`components/${MODEL_COMPONENT}/1.0.1/model.onnx`)!.body;
    expect(
      shipped.equals(run.world.objects.objects.get(`compiled/${namesOf(run).trainingJob}/model.onnx`)!.body),
    ).to.equal(true);
    expect(run.notifications).to.deep.equal([]);
  });

  it("registers the model of a run with a long execution name (SageMaker's 36-character idempotency token)", async () => {
    const executionName = `scheduled-${"2026-12-01T06-00-00Z-".repeat(3)}retry`;
    const run = await runPipeline({ ...onnx, executionName });
    expect(run.output?.outcome, JSON.stringify(run.error)).to.equal("deployed");
    expect(namesOf(run).trainingJob.length).to.be.greaterThan(36);
  });

  it("skips labeling when every image is labeled", async () => {
    const run = await runPipeline({ ...onnx, labeledImages: 40, newImages: 0 });
    expect(run.path.slice(0, 5)).to.deep.equal([
      STATES.startRun,
      STATES.chooseMode,
      STATES.findUnlabeledImages,
      STATES.anythingToLabel,
      STATES.buildDataset,
    ]);
    expect(run.path).to.not.include(STATES.labelImages);
    expect(run.output).to.deep.include({ outcome: "deployed" });
    expect(run.output!.unlabeled).to.include({ selected: 0, selectionKey: null });
    expect(run.output).to.not.have.property("ingest");
  });

  it("skips labeling when the input asks for it", async () => {
    const run = await runPipeline({ ...onnx, input: { skipLabeling: true } });
    expect(run.path.slice(0, 3)).to.deep.equal([STATES.startRun, STATES.chooseMode, STATES.buildDataset]);
    expect(run.output!.outcome).to.equal("deployed");
  });

  it("a failed labeling job notifies once and fails the run", async () => {
    const run = await runPipeline({ cloud: { labelingFailure: "the workteam has no members" } });
    const message = expectFailedAt(run, failedStateOf(STATES.labelImages), STATES.labelImages, "States.TaskFailed");
    expect(message.cause).to.contain("the workteam has no members");
    expect(run.path).to.not.include(STATES.ingestLabels);
  });

  it("ingestion that rejects some records reports them and goes on", async () => {
    const malformed = [
      '{"source-ref": "s3://qi-test-lake/images/line-1/new-0030.jpg", "boxes": ',
      '{"source-ref": "s3://elsewhere/images/x.jpg", "boxes": {"image_size": [{"width": 1, "height": 1}], "annotations": []}}',
    ];
    const run = await runPipeline({ ...onnx, cloud: { extraLabelingLines: malformed } });
    expect(run.output!.outcome).to.equal("deployed");
    expect(run.output!.ingest).to.deep.include({
      lines: 12,
      ingested: 10,
      rejected: 2,
      rejectedByReason: { "not-json": 1, "not-in-data-lake": 1 },
    });
    expect(run.notifications).to.deep.equal([]);
  });

  it("a dataset below the minimum stops before training", async () => {
    const run = await runPipeline({ labeledImages: 5, newImages: 5 });
    const message = expectFailedAt(
      run,
      failedStateOf(STATES.buildDataset),
      STATES.buildDataset,
      "DatasetTooSmallError",
    );
    expect(message.cause).to.match(/has 10 approved labeled images .* at least 20 \(dataset.minImages\)/);
    expect(run.path).to.not.include(STATES.trainModel);
  });

  it("a labeling batch without a single box stops before training, and the alert says why", async () => {
    const run = await runPipeline({ labeledImages: 0, newImages: 40, cloud: { labelBoxes: [] } });
    const message = expectFailedAt(
      run,
      failedStateOf(STATES.buildDataset),
      STATES.buildDataset,
      "DatasetTooFewBoxesError",
    );
    expect(message.cause).to.match(
      /the approved labels hold 0 boxes \(train 0, validation 0, test 0\); training needs at least 20 \(dataset.minBoxes\)/,
    );
    expect(run.world.labels.records.size).to.equal(40);
    expect(run.path).to.not.include(STATES.trainModel);
    expect(run.world.cloud.trainingJobs).to.have.length(0);
  });

  it("boxes drawn past the image edge are stored clipped to it, and the run goes on", async () => {
    const run = await runPipeline({
      ...onnx,
      cloud: { labelBoxes: [{ class_id: 0, left: 70, top: 50, width: 30, height: 20 }] },
    });
    expect(run.output!.outcome).to.equal("deployed");
    expect(run.output!.ingest).to.include({ ingested: 10, rejected: 0, clippedBoxes: 10 });
    const labeled = [...run.world.labels.records.values()].filter((r) => r.source_ref.includes("/new-"));
    expect(labeled.map((r) => JSON.parse(r.annotations))).to.deep.equal(
      Array(10).fill([{ class_id: 0, left: 70, top: 50, width: 20, height: 10 }]),
    );
  });

  it("a failed training job notifies once and fails the run", async () => {
    const run = await runPipeline({ cloud: { trainingFailure: "AlgorithmError: CUDA out of memory" } });
    const message = expectFailedAt(run, failedStateOf(STATES.trainModel), STATES.trainModel, "States.TaskFailed");
    expect(message.cause).to.contain("CUDA out of memory");
  });

  it("a training output that is not a gzip'd tar fails EvaluateModel as ModelArtifactError naming the archive", async () => {
    const run = await runPipeline({ cloud: { modelArtifact: Buffer.from("model.onnx and model.json, not packed") } });
    const message = expectFailedAt(
      run,
      failedStateOf(STATES.evaluateModel),
      STATES.evaluateModel,
      "ModelArtifactError",
    );
    expect(message.cause).to.contain(
      `s3://qi-test-lake/models/${namesOf(run).trainingJob}/output/model.tar.gz is not a gzip'd tar: not gzip data`,
    );
    expect(run.world.cloud.packages.size, "nothing registered").to.equal(0);
  });

  it("a model below the threshold is registered as Rejected and nothing is deployed", async () => {
    const run = await runPipeline({ cloud: { metric: 0.21 } });
    expect(run.path.slice(-4)).to.deep.equal([
      STATES.registerModel,
      STATES.describeModelPackage,
      STATES.routeModel,
      STATES.modelRejected,
    ]);
    expect(run.output!.outcome).to.equal("rejected");
    expect(run.output!.evaluation).to.include({
      passed: false,
      approvalStatus: "Rejected",
      reason: "validation mAP50-95 0.210 is below the threshold 0.300 (evaluation.minMap50_95)",
    });
    const [registered] = run.world.cloud.packages.values();
    expect(registered.ModelApprovalStatus).to.equal("Rejected");
    expect(run.world.cloud.deployments).to.have.length(0);
    expect(run.world.components.recipes.size).to.equal(0);
    expect(run.notifications, "a rejected model is an outcome, not a failure").to.deep.equal([]);
  });

  it("a model that needs manual approval is registered and waits for it", async () => {
    const run = await runPipeline({ args: (a) => void (a.registry.approvalStatus = "PendingManualApproval") });
    expect(run.output!.outcome).to.equal("awaiting-approval");
    expect(run.path.at(-1)).to.equal(STATES.awaitingApproval);
    expect(run.world.cloud.deployments).to.have.length(0);
  });

  it("a failed Neo compilation notifies with Neo's reason", async () => {
    const run = await runPipeline({
      cloud: {
        neoStatuses: ["INPROGRESS", "FAILED"],
        neoFailureReason: "ClientError: unsupported operator NonMaxSuppression",
      },
    });
    const message = expectFailedAt(
      run,
      STATES.neoCompilationFailed,
      STATES.describeNeoCompilation,
      "NeoCompilationFailed",
    );
    expect(message.cause).to.equal(
      `Neo compilation job ${namesOf(run).compilationJob} failed: ClientError: unsupported operator NonMaxSuppression`,
    );
  });

  it("a Neo compilation that never finishes ends the loop after the configured checks and fails", async () => {
    const run = await runPipeline({
      args: (a) => void (a.compilation.maxPolls = 5),
      cloud: { neoStatuses: ["INPROGRESS"] },
    });
    expectFailedAt(run, STATES.neoCompilationTimedOut, STATES.describeNeoCompilation, "NeoCompilationTimedOut");
    expect(run.path.filter((s) => s === STATES.describeNeoCompilation)).to.have.length(5);
    expect(notified(run).cause).to.equal(
      `Neo compilation job ${namesOf(run).compilationJob} was still INPROGRESS after 5 checks 30 s apart`,
    );
  });

  it("a deployment that fails on a device notifies with the device counts", async () => {
    const failedDevice = {
      status: "IN_PROGRESS",
      devices: { ...DEPLOYMENT.SUCCEEDED.devices, NumberOfSucceededThings: 1, NumberOfFailedThings: 1 },
    };
    const run = await runPipeline({ ...onnx, cloud: { deployment: [DEPLOYMENT.IN_PROGRESS, failedDevice] } });
    const message = expectFailedAt(run, STATES.deploymentFailed, STATES.describeDeploymentJob, "DeploymentFailed", 1);
    expect(message.cause).to.match(
      /^deployment 4f1e5d3c-deployment failed on the fleet \(the devices rolled back\): .*"NumberOfFailedThings":1/,
    );
  });

  it("a deployment that never finishes ends the loop after the configured checks and fails", async () => {
    const run = await runPipeline({
      ...onnx,
      args: (a) => {
        a.compilation.target = "onnx";
        a.deploy.maxPolls = 4;
      },
      cloud: { deployment: [DEPLOYMENT.IN_PROGRESS] },
    });
    expectFailedAt(run, STATES.deploymentTimedOut, STATES.describeDeploymentJob, "DeploymentTimedOut", 1);
    expect(run.path.filter((s) => s === STATES.describeDeploymentJob)).to.have.length(4);
    expect(notified(run).cause).to.match(/not finished on every device after 4 checks 60 s apart/);
  });

  it("a deployment replaced by another one fails the run", async () => {
    const run = await runPipeline({
      ...onnx,
      cloud: { deployment: [{ status: "CANCELED", devices: DEPLOYMENT.IN_PROGRESS.devices }] },
    });
    expectFailedAt(run, STATES.deploymentCanceled, STATES.describeDeploymentJob, "DeploymentCanceled", 1);
  });

  it("a transient Lambda error is retried and the run succeeds without a notification", async () => {
    const run = await runPipeline({
      ...onnx,
      failFirst: { [STATES.buildDataset]: ["Lambda.ServiceException", "Lambda.TooManyRequestsException"] },
    });
    expect(run.retried).to.deep.equal([STATES.buildDataset, STATES.buildDataset]);
    expect(run.output!.outcome).to.equal("deployed");
    expect(run.notifications).to.deep.equal([]);
  });

  it("a label store that keeps throttling is retried as a whole step", async () => {
    const run = await runPipeline({ ...onnx, failFirst: { [STATES.ingestLabels]: ["LabelStoreThrottledError"] } });
    expect(run.retried).to.deep.equal([STATES.ingestLabels]);
    expect(run.output!.outcome).to.equal("deployed");
  });

  it("a non-transient Lambda error is not retried", async () => {
    const run = await runPipeline({ failFirst: { [STATES.evaluateModel]: ["ModelArtifactError"] } });
    expect(run.retried).to.deep.equal([]);
    expectFailedAt(run, failedStateOf(STATES.evaluateModel), STATES.evaluateModel, "ModelArtifactError");
  });

  it("invalid input fails in StartRun, naming the field", async () => {
    const run = await runPipeline({ input: { mode: "deploy", modelPackageArn: "not-an-arn" } });
    const message = expectFailedAt(run, failedStateOf(STATES.startRun), STATES.startRun, "InvalidPipelineInputError");
    expect(message.cause).to.contain("modelPackageArn: must be the ARN of a versioned model package");
  });

  it("a run started while an earlier one is going stops in StartRun, naming that run, before labeling anything", async () => {
    // The local runner stamps the execution with the real time: one run started long before, one far after.
    const run = await runPipeline({
      running: [
        { name: "manual-run-1", startTime: "2020-01-01T00:00:00.000Z" },
        { name: "scheduled-20201201T000000Z", startTime: "2020-12-01T00:00:01.000Z" },
        { name: "manual-later", startTime: "2999-01-01T00:00:00.000Z" },
      ],
    });
    expect(run.listedRunsOf).to.deep.equal(["arn:aws:states:eu-west-1:123456789012:stateMachine:qi-dev-pipeline"]);
    expect(run.path.slice(0, 1)).to.deep.equal([STATES.startRun]);
    const message = expectFailedAt(run, failedStateOf(STATES.startRun), STATES.startRun, "PipelineBusyError");
    expect(message.cause).to.contain(
      "another run of the pipeline has not ended: scheduled-20201201T000000Z (started 2020-12-01T00:00:01.000Z). Let it",
    );
    expect(run.path).to.not.include(STATES.findUnlabeledImages);
    expect(run.world.cloud.trainingJobs, "training jobs").to.have.length(0);
  });

  it("verification runs a second labeling job and stores its verdicts", async () => {
    const run = await runPipeline({
      ...onnx,
      args: (a) => {
        a.compilation.target = "onnx";
        a.labeling.verification = true;
      },
    });
    expect(run.path.slice(5, 8)).to.deep.equal([STATES.labelImages, STATES.verifyLabels, STATES.ingestLabels]);
    expect(run.output!.ingest).to.include({ ingested: 10, approved: 10 });
    expect((run.taskInputs[STATES.ingestLabels][0] as { verified: boolean }).verified).to.equal(true);
  });

  describe("deploy runs", () => {
    it("compile and deploy a model package approved in the registry", async () => {
      let arn = "";
      const run = await runPipeline({
        ...onnx,
        before: async (world) => void (arn = await seedPackage(world, "Approved", "PendingManualApproval")),
        input: {
          mode: "deploy",
          trigger: "model-approved",
          modelPackageArn: "arn:aws:sagemaker:eu-west-1:123456789012:model-package/qi-dev-scratch-detector/1",
        },
      });
      expect(arn).to.match(/\/1$/);
      expect(run.path).to.deep.equal([
        STATES.startRun,
        STATES.chooseMode,
        STATES.describeModelPackage,
        STATES.routeModel,
        STATES.chooseCompilation,
        STATES.optimiseOnnx,
        ...DEPLOY_PATH,
      ]);
      expect(run.output!.outcome).to.equal("deployed");
      expect(run.world.cloud.componentFiles(MODEL_COMPONENT, "1.0.1")).to.have.length(2);
    });

    it("skip a model whose training run approved and deployed it already", async () => {
      const run = await runPipeline({
        before: async (world) => void (await seedPackage(world, "Approved", "Approved")),
        input: {
          mode: "deploy",
          trigger: "model-approved",
          modelPackageArn: "arn:aws:sagemaker:eu-west-1:123456789012:model-package/qi-dev-scratch-detector/1",
        },
      });
      expect(run.output!.outcome).to.equal("skipped");
      expect(run.path.at(-1)).to.equal(STATES.alreadyDeployed);
      expect(run.world.cloud.deployments).to.have.length(0);
    });

    it("redeploy such a model when a person asks for it", async () => {
      const run = await runPipeline({
        ...onnx,
        before: async (world) => void (await seedPackage(world, "Approved", "Approved")),
        input: {
          mode: "deploy",
          modelPackageArn: "arn:aws:sagemaker:eu-west-1:123456789012:model-package/qi-dev-scratch-detector/1",
        },
      });
      expect(run.output!.outcome).to.equal("deployed");
    });

    it("refuse a package without the metadata this pipeline registers", async () => {
      const run = await runPipeline({
        before: (world) => {
          world.cloud.createModelPackage({
            ModelPackageGroupName: "qi-dev-scratch-detector",
            ModelApprovalStatus: "Approved",
            InferenceSpecification: { Containers: [] },
            CustomerMetadataProperties: { owner: "someone" },
            ClientToken: "x",
          });
        },
        input: {
          mode: "deploy",
          modelPackageArn: "arn:aws:sagemaker:eu-west-1:123456789012:model-package/qi-dev-scratch-detector/1",
        },
      });
      const message = expectFailedAt(run, STATES.modelPackageUnusable, STATES.routeModel, "ModelPackageUnusable");
      expect(message.cause).to.contain("lacks the metadata");
    });
  });
});
