import { GreengrassV2Client } from "@aws-sdk/client-greengrassv2";
import { S3Client } from "@aws-sdk/client-s3";
import { SageMakerClient } from "@aws-sdk/client-sagemaker";
import { SFNClient } from "@aws-sdk/client-sfn";
import { mockClient } from "aws-sdk-client-mock";
import { expect } from "chai";
import { z } from "zod";
import { runCli } from "../../cli/main";
import { runNames } from "../../lib/runNames";
import { componentVersionArn, FakeGreengrass, thingGroupArn } from "../fakes/fakeGreengrass";
import { FakeSageMaker, jobArn, modelPackageArn } from "../fakes/fakeSageMaker";
import { FakeStepFunctions } from "../fakes/fakeStepFunctions";
import { FakeBucket } from "../fakes/fakeVersionedBucket";
import { mockedClient } from "../fakes/sdkMock";
import { HistoryBuilder } from "../harness/sfnHistory";

// Cleanup's ports on the AWS SDK (cli/aws/cleanupPorts.ts), against the SDK fakes: the requests they send, the
// answers they read, and the SDK's errors passed on by name. Cleanup's logic is tested on memory ports
// (cleanup.test.ts).

const CREDENTIALS = { accessKeyId: "AKIDTEST", secretAccessKey: "secret" };
const STATE_MACHINE = "arn:aws:states:eu-west-1:123456789012:stateMachine:qi-dev-pipeline";
const BUCKET = "data-lake-bucket-0a1b2c3d";
const DEV_TAGS = [
  { Key: "project", Value: "qualityinspection" },
  { Key: "stack", Value: "dev" },
];

describe("cleanup's AWS adapters", () => {
  const sfn = new FakeStepFunctions(STATE_MACHINE);
  const sagemaker = new FakeSageMaker();
  const greengrassStub = mockedClient(() => mockClient(GreengrassV2Client));
  const s3Stub = mockedClient(() => mockClient(S3Client));

  before(async () => {
    await sfn.start();
    await sagemaker.start();
  });
  after(async () => {
    await sfn.stop();
    await sagemaker.stop();
  });

  it("list and remove through the SDK: the requests they send, and its errors passed on by name", async () => {
    const ours = runNames("qi-dev", "manual-20261129T1030-ab12cd34", "2026-11-29T10:30:00.000Z");
    const earlier = runNames("qi-dev", "scheduled-20261101T060000Z", "2026-11-01T06:00:00.000Z");
    const running = sfn.addExecution("manual-20261129T1030-ab12cd34", new HistoryBuilder().started().events);
    sfn.addExecution("manual-20261128T0900-00ff00ff", new HistoryBuilder().started().succeeded({}).events);
    sagemaker.jobs.push(
      { kind: "labeling", name: ours.labelingJob, status: "InProgress", tags: DEV_TAGS },
      { kind: "training", name: ours.trainingJob, status: "InProgress", tags: DEV_TAGS },
      { kind: "compilation", name: ours.compilationJob, status: "INPROGRESS", tags: DEV_TAGS },
      { kind: "training", name: earlier.trainingJob, status: "Completed", tags: DEV_TAGS },
    );
    sagemaker.packages.push(
      { group: "qi-dev-scratch-detector", version: 1, status: "Approved" },
      { group: "qi-dev-scratch-detector", version: 2, status: "Rejected" },
      { group: "qi-dev-scratch-detector", version: 3, status: "PendingManualApproval" },
      { group: "qi-dev2-scratch-detector", version: 1, status: "Approved" },
    );
    const greengrass = new FakeGreengrass();
    const fleet = { deploymentName: "qi-dev-fleet", targetArn: thingGroupArn("qi-dev-fleet") };
    greengrass.deployments.push(
      { ...fleet, deploymentId: "d-2", deploymentStatus: "ACTIVE", isLatestForTarget: true, components: [] },
      { ...fleet, deploymentId: "d-1", deploymentStatus: "INACTIVE", isLatestForTarget: false, components: [] },
    );
    greengrass.components.set("qi-dev.ScratchDetector", ["1.0.4242"]);
    greengrass.components.set("qi-dev.ScratchDetectorModel", ["1.0.1", "1.0.2", "1.0.3"]);
    greengrass.components.set("qi-dev2.ScratchDetectorModel", ["1.0.1"]);
    greengrass.coreDevices.add("qi-dev-simulated-device");
    greengrass.install(greengrassStub());
    const bucket = new FakeBucket(BUCKET).put("images/line-1/a.jpg", 2).put("labeling/job/output.manifest", 1, true);
    bucket.install(s3Stub());
    // Errors as the SDK parses them: throttling is retried, a job gone since it was listed is done.
    sagemaker.failNext("ListCompilationJobs", { type: "ThrottlingException", message: "Rate exceeded" });
    sagemaker.failNext("StopTrainingJob", { type: "ResourceNotFound", message: "Requested resource not found" });

    let stdout = "";
    let stderr = "";
    const sleeps: number[] = [];
    const code = await runCli(["cleanup", "--stack", "dev", "--delete-data", "--yes", "--json"], {
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: (text: string) => (stderr += text) },
      createClient: (region) => new SFNClient({ region, endpoint: sfn.endpoint, credentials: CREDENTIALS }),
      createGreengrassClient: (region) => new GreengrassV2Client({ region, credentials: CREDENTIALS }),
      // One SDK attempt: a throttled call is then retried by cleanup itself.
      createSageMakerClient: (region) =>
        new SageMakerClient({ region, endpoint: sagemaker.endpoint, credentials: CREDENTIALS, maxAttempts: 1 }),
      createS3Client: (region) => new S3Client({ region, credentials: CREDENTIALS }),
      pulumi: async () => ({
        stdout: JSON.stringify({
          stateMachineArn: STATE_MACHINE,
          bucketName: BUCKET,
          // line-9 never connected: GetCoreDevice answers ResourceNotFoundException, and it is not listed.
          coreDeviceThingNames: ["qi-dev-simulated-device", "qi-dev-line-9"],
        }),
      }),
      stages: [],
      inputSchema: z.object({}),
      now: () => new Date("2026-11-29T12:00:00Z"),
      sleep: async (ms) => void sleeps.push(ms),
      pollMs: 1,
      maxPollMs: 1,
    });

    expect(code, stdout + stderr).to.equal(0);
    const result = JSON.parse(stdout) as { items: { kind: string; id: string; outcome: string }[] };
    const pkg = (version: number) => modelPackageArn({ group: "qi-dev-scratch-detector", version });
    const version = (name: string, v: string) => componentVersionArn(name, v);
    expect(result.items.map((i) => `${i.kind} ${i.id} ${i.outcome}`)).to.deep.equal([
      `execution ${running.executionArn} removed`,
      `labeling-job ${ours.labelingJob} removed`,
      `training-job ${ours.trainingJob} gone`,
      `compilation-job ${ours.compilationJob} removed`,
      "deployment d-2 removed",
      "deployment d-1 removed",
      `component-version ${version("qi-dev.ScratchDetector", "1.0.4242")} removed`,
      `component-version ${version("qi-dev.ScratchDetectorModel", "1.0.1")} removed`,
      `component-version ${version("qi-dev.ScratchDetectorModel", "1.0.2")} removed`,
      `component-version ${version("qi-dev.ScratchDetectorModel", "1.0.3")} removed`,
      "core-device qi-dev-simulated-device removed",
      `model-package ${pkg(1)} removed`,
      `model-package ${pkg(2)} removed`,
      `model-package ${pkg(3)} removed`,
      `data ${BUCKET} removed`,
    ]);
    expect(sleeps, "the throttled listing, retried").to.deep.equal([1000]);

    // Step Functions: the running executions only, stopped with the reason recorded.
    const sfnCalls = sfn.calls.map((c) => ({ action: c.action, ...c.body }));
    expect(sfnCalls).to.deep.equal([
      { action: "ListExecutions", stateMachineArn: STATE_MACHINE, statusFilter: "RUNNING" },
      {
        action: "StopExecution",
        executionArn: running.executionArn,
        error: "StoppedByCleanup",
        cause: "the stack's run-time resources are being cleaned up",
      },
    ]);
    // SageMaker: listed by the stack's prefix (in progress where SageMaker can filter), tags read, each stopped.
    const body = (action: string) => sagemaker.calls.filter((c) => c.action === action).map((c) => c.body);
    expect(body("ListLabelingJobs")).to.deep.equal([{ NameContains: "qi-dev-", StatusEquals: "InProgress" }]);
    expect(body("ListTrainingJobs")).to.deep.equal([{ NameContains: "qi-dev-", StatusEquals: "InProgress" }]);
    expect(body("ListCompilationJobs")).to.deep.equal([{ NameContains: "qi-dev-" }, { NameContains: "qi-dev-" }]);
    expect(body("ListTags").map((b) => b.ResourceArn)).to.deep.equal([
      jobArn({ kind: "labeling", name: ours.labelingJob }),
      jobArn({ kind: "training", name: ours.trainingJob }),
      jobArn({ kind: "compilation", name: ours.compilationJob }),
    ]);
    expect(sagemaker.changes()).to.deep.equal([
      `StopLabelingJob ${ours.labelingJob}`,
      `StopTrainingJob ${ours.trainingJob}`,
      `StopCompilationJob ${ours.compilationJob}`,
      `DeleteModelPackage ${pkg(1)}`,
      `DeleteModelPackage ${pkg(2)}`,
      `DeleteModelPackage ${pkg(3)}`,
    ]);
    expect(body("ListModelPackages").map((b) => b.ModelPackageGroupName)).to.deep.equal([
      "qi-dev-scratch-detector",
      "qi-dev-scratch-detector",
    ]);
    // Greengrass (the fake lists earlier revisions only for historyFilter ALL, and private components only for scope
    // PRIVATE): every page read, the active deployment cancelled before it is deleted.
    expect(greengrass.changes()).to.deep.equal([
      "CancelDeployment d-2",
      "DeleteDeployment d-2",
      "DeleteDeployment d-1",
      `DeleteComponent ${version("qi-dev.ScratchDetector", "1.0.4242")}`,
      `DeleteComponent ${version("qi-dev.ScratchDetectorModel", "1.0.1")}`,
      `DeleteComponent ${version("qi-dev.ScratchDetectorModel", "1.0.2")}`,
      `DeleteComponent ${version("qi-dev.ScratchDetectorModel", "1.0.3")}`,
      "DeleteCoreDevice qi-dev-simulated-device",
    ]);
    expect([...greengrass.components.keys()]).to.deep.equal(["qi-dev2.ScratchDetectorModel"]);
    // S3: every version and delete marker, page by page from the markers S3 gave, deleted a page at a time.
    expect(bucket.calls).to.deep.equal([
      "ListObjectVersions",
      "ListObjectVersions",
      "ListObjectVersions",
      "DeleteObjects 3",
      "ListObjectVersions",
      "DeleteObjects 1",
    ]);
    expect(bucket.entries).to.deep.equal([]);
  });
});
