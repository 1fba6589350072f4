import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { expect } from "chai";
import { z } from "zod";
import { CleanupItem, inCleanupOrder } from "../../cli/cleanup/items";
import {
  isFleetDeployment,
  isStackJobName,
  isStackModelPackage,
  stackTargets,
  tagsAllow,
} from "../../cli/cleanup/targets";
import { CliEnvironment, runCli } from "../../cli/main";
import type { JobKind } from "../../cli/ports";
import { parseStackConfig } from "../../config/schema";
import { runNames } from "../../lib/runNames";
import { awsError, componentVersionArn, thingGroupArn } from "../fakes/fakeGreengrass";
import { modelPackageArn } from "../fakes/fakeSageMaker";
import { PROJECT_DIR, readStack } from "../harness/pulumiProgram";
import { MemoryAccount, MemoryBucket, MemoryJob } from "../fakes/memoryCleanup";

// Cleanup's logic against an AWS account in memory (its ports, cli/ports.ts), through the command line. The SDK
// adapters behind those ports are tested against the SDK fakes in cleanupAws.test.ts.

const STATE_MACHINE = "arn:aws:states:eu-west-1:123456789012:stateMachine:qi-dev-pipeline";
const BUCKET = "data-lake-bucket-0a1b2c3d";
const dev = parseStackConfig(readStack("dev"), "dev");
const tags = (stack: string) => ({ project: "qualityinspection", stack });
const names = (prefix: string, execution = "manual-20261129T1030-ab12cd34") =>
  runNames(prefix, execution, "2026-11-29T10:30:00.000Z");

describe("cleanup: which resources are the stack's", () => {
  const targets = stackTargets(dev, { coreDeviceThingNames: ["qi-dev-simulated-device", "qi-dev-line-9"] });

  it("come from the stack's config, and from its outputs once deployed", () => {
    expect(targets).to.deep.include({
      stack: "dev",
      namePrefix: "qi-dev",
      region: "eu-west-1",
      modelPackageGroupName: "qi-dev-scratch-detector",
      thingGroupName: "qi-dev-fleet",
      componentNames: ["qi-dev.ScratchDetector", "qi-dev.ScratchDetectorModel"],
      coreDevices: ["qi-dev-simulated-device", "qi-dev-line-9"],
      allowDeleteData: true,
    });
    expect(targets.stateMachineArn).to.equal(undefined);
    expect(stackTargets(dev, { stateMachineArn: STATE_MACHINE, bucketName: BUCKET })).to.deep.include({
      stateMachineArn: STATE_MACHINE,
      bucketName: BUCKET,
    });
  });

  it("are jobs named the way StartRun names this stack's jobs, never another stack's", () => {
    const ours = names("qi-dev");
    expect(isStackJobName(targets, "labeling-job", ours.labelingJob)).to.equal(true);
    expect(isStackJobName(targets, "labeling-job", ours.verificationJob)).to.equal(true);
    expect(isStackJobName(targets, "training-job", ours.trainingJob)).to.equal(true);
    expect(isStackJobName(targets, "compilation-job", ours.compilationJob)).to.equal(true);
    expect(isStackJobName(targets, "compilation-job", ours.trainingJob)).to.equal(false);
    expect(isStackJobName(targets, "training-job", names("qi-dev2").trainingJob)).to.equal(false);
    expect(isStackJobName(targets, "training-job", "qi-dev-train-by-hand")).to.equal(false);
    expect(isStackJobName(targets, "training-job", "qi-devel-train-run-1a2b3c4d")).to.equal(false);
  });

  it("never include a job whose tags name another stack or project, whatever its name", () => {
    // Stack dev-train's training jobs start like stack dev's: `qi-dev-train-train-…`.
    expect(isStackJobName(targets, "training-job", names("qi-dev-train").trainingJob)).to.equal(true);
    expect(tagsAllow(targets, tags("dev-train"))).to.equal(false);
    expect(tagsAllow(targets, { project: "other" })).to.equal(false);
    expect(tagsAllow(targets, tags("dev"))).to.equal(true);
    expect(tagsAllow(targets, { owner: "someone" }), "untagged: by name").to.equal(true);
  });

  it("are deployments to this stack's thing group, and packages of its group", () => {
    expect(isFleetDeployment(targets, thingGroupArn("qi-dev-fleet"))).to.equal(true);
    expect(isFleetDeployment(targets, thingGroupArn("qi-dev-fleet-2"))).to.equal(false);
    expect(isFleetDeployment(targets, thingGroupArn("qi-dev2-fleet"))).to.equal(false);
    expect(isFleetDeployment(targets, "arn:aws:iot:eu-west-1:123456789012:thing/qi-dev-fleet")).to.equal(false);
    const pkg = (group: string) => ({ group, arn: modelPackageArn({ group, version: 1 }) });
    expect(isStackModelPackage(targets, pkg("qi-dev-scratch-detector"))).to.equal(true);
    expect(isStackModelPackage(targets, pkg("qi-dev2-scratch-detector"))).to.equal(false);
    expect(isStackModelPackage(targets, pkg("qi-dev-scratch-detector-old"))).to.equal(false);
  });

  it("are removed users first: runs and jobs, deployments, then what they used", () => {
    const item = (kind: CleanupItem["kind"], id: string): CleanupItem => ({ kind, id, label: id, action: "delete" });
    const ordered = inCleanupOrder([
      item("model-package", "p1"),
      item("component-version", "c1"),
      item("deployment", "d1"),
      item("core-device", "t1"),
      item("component-version", "c2"),
      item("training-job", "j1"),
      item("execution", "e1"),
    ]);
    expect(ordered.map((i) => i.id)).to.deep.equal(["e1", "j1", "d1", "c1", "c2", "t1", "p1"]);
  });
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The stack's resources and look-alikes of other stacks and of people, in one account. */
function accountWithStacks(): MemoryAccount {
  const account = new MemoryAccount(
    new MemoryBucket(BUCKET).put("images/line-1/a.jpg", 2).put("labeling/job/output.manifest", 1, true),
  );
  const execution = (name: string, status: "RUNNING" | "SUCCEEDED") => ({
    arn: `${STATE_MACHINE.replace(":stateMachine:", ":execution:")}:${name}`,
    name,
    status,
  });
  account.executions.push(
    execution("manual-20261129T1030-ab12cd34", "RUNNING"),
    execution("manual-20261128T0900-00ff00ff", "SUCCEEDED"),
  );

  const ours = names("qi-dev");
  const job = (kind: JobKind, name: string, status: string, stack = "dev"): MemoryJob => ({
    kind,
    name,
    status,
    tags: tags(stack),
  });
  account.jobs.push(
    job("labeling-job", ours.labelingJob, "InProgress"),
    job("labeling-job", names("qi-dev", "manual-earlier").verificationJob, "Completed"),
    job("training-job", ours.trainingJob, "InProgress"),
    job("training-job", names("qi-dev", "scheduled-20261101T060000Z").trainingJob, "Completed"),
    job("compilation-job", ours.compilationJob, "STARTING"),
    // Look-alikes of other stacks and of people, all running.
    job("training-job", names("qi-dev2").trainingJob, "InProgress", "dev2"),
    job("training-job", names("qi-dev-train").trainingJob, "InProgress", "dev-train"),
    { kind: "training-job", name: "qi-dev-train-by-hand", status: "InProgress", tags: {} },
    job("compilation-job", names("qi-dev2").compilationJob, "INPROGRESS", "dev2"),
  );
  account.packages.push(
    { group: "qi-dev-scratch-detector", version: 1, status: "Approved" },
    { group: "qi-dev-scratch-detector", version: 2, status: "Rejected" },
    { group: "qi-dev-scratch-detector", version: 3, status: "PendingManualApproval" },
    { group: "qi-dev2-scratch-detector", version: 1, status: "Approved" },
    { group: "qi-dev-scratch-detector-old", version: 1, status: "Approved" },
  );

  account.deployments.push(
    {
      deploymentId: "d-dev-2",
      deploymentName: "qi-dev-fleet",
      targetArn: thingGroupArn("qi-dev-fleet"),
      deploymentStatus: "ACTIVE",
      isLatestForTarget: true,
      components: ["qi-dev.ScratchDetectorModel:1.0.2", "qi-dev.ScratchDetector:1.0.4242"],
    },
    {
      deploymentId: "d-dev-1",
      deploymentName: "qi-dev-fleet",
      targetArn: thingGroupArn("qi-dev-fleet"),
      deploymentStatus: "INACTIVE",
      isLatestForTarget: false,
      components: ["qi-dev.ScratchDetectorModel:1.0.1", "qi-dev.ScratchDetector:1.0.4242"],
    },
    {
      deploymentId: "d-dev2",
      deploymentName: "qi-dev2-fleet",
      targetArn: thingGroupArn("qi-dev2-fleet"),
      deploymentStatus: "ACTIVE",
      isLatestForTarget: true,
      components: ["qi-dev2.ScratchDetectorModel:1.0.1"],
    },
    {
      deploymentId: "d-thing",
      deploymentName: "a device named like the fleet",
      targetArn: "arn:aws:iot:eu-west-1:123456789012:thing/qi-dev-fleet",
      deploymentStatus: "ACTIVE",
      isLatestForTarget: true,
      components: [],
    },
  );
  account.components.set("qi-dev.ScratchDetector", ["1.0.4242"]);
  account.components.set("qi-dev.ScratchDetectorModel", ["1.0.1", "1.0.2"]);
  account.components.set("qi-dev2.ScratchDetectorModel", ["1.0.1"]);
  account.components.set("qi-dev.ScratchDetectorModel-experiment", ["0.1.0"]);
  account.coreDevices.add("qi-dev-simulated-device");
  account.coreDevices.add("qi-dev2-simulated-device");
  return account;
}

describe("npm run pipeline -- cleanup", () => {
  let account: MemoryAccount;
  let bucket: MemoryBucket;
  let sleeps: number[];
  let regions: string[];

  const ours = names("qi-dev");
  beforeEach(() => {
    account = accountWithStacks();
    bucket = account.bucket;
    sleeps = [];
    regions = [];
  });

  const outputs: Record<string, Record<string, unknown>> = {
    // qi-dev-line-9's nucleus never connected: it has no core device record to delete.
    dev: {
      stateMachineArn: STATE_MACHINE,
      bucketName: BUCKET,
      coreDeviceThingNames: ["qi-dev-simulated-device", "qi-dev-line-9"],
    },
    prod: { bucketName: BUCKET, coreDeviceThingNames: ["qi-prod-line-1", "qi-prod-line-2"] },
  };

  async function cli(args: string[], overrides: Partial<CliEnvironment> = {}): Promise<Run> {
    let stdout = "";
    let stderr = "";
    const noClient = () => {
      throw new Error("cleanup talks to AWS through its ports only");
    };
    const env: CliEnvironment = {
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: (text: string) => (stderr += text) },
      createClient: noClient,
      createGreengrassClient: noClient,
      createSageMakerClient: noClient,
      createS3Client: noClient,
      createCleanupPorts: (region) => {
        regions.push(region);
        return account.ports();
      },
      pulumi: async (pulumiArgs) => {
        if (pulumiArgs.join(" ") === "stack --show-name") return { stdout: "dev\n" };
        const stack = pulumiArgs[pulumiArgs.indexOf("--stack") + 1];
        return { stdout: JSON.stringify(outputs[stack] ?? {}) };
      },
      stages: [],
      inputSchema: z.object({}),
      now: () => new Date("2026-11-29T12:00:00Z"),
      sleep: async (ms) => void sleeps.push(ms),
      pollMs: 1,
      maxPollMs: 1,
      ...overrides,
    };
    const code = await runCli(args, env);
    return { code, stdout, stderr };
  }

  /** Every call that changed something, in every service. */
  const changes = () => account.changes();
  const progress = (run: Run) => run.stdout.split("\n").filter((line) => line.startsWith("["));

  it("lists exactly the stack's run-time resources on a dry run, and changes nothing", async () => {
    const run = await cli(["cleanup", "--stack", "dev", "--dry-run", "--json"]);
    expect(run.code, run.stderr).to.equal(0);
    const plan = JSON.parse(run.stdout) as { items: CleanupItem[]; problems: string[]; kept: string[] };
    expect(plan.items.map((i) => `${i.action} ${i.kind} ${i.id}`)).to.deep.equal([
      `stop execution ${STATE_MACHINE.replace(":stateMachine:", ":execution:")}:manual-20261129T1030-ab12cd34`,
      `stop labeling-job ${ours.labelingJob}`,
      `stop training-job ${ours.trainingJob}`,
      `stop compilation-job ${ours.compilationJob}`,
      "cancel and delete deployment d-dev-2",
      "delete deployment d-dev-1",
      `delete component-version ${componentVersionArn("qi-dev.ScratchDetector", "1.0.4242")}`,
      `delete component-version ${componentVersionArn("qi-dev.ScratchDetectorModel", "1.0.1")}`,
      `delete component-version ${componentVersionArn("qi-dev.ScratchDetectorModel", "1.0.2")}`,
      "delete core-device qi-dev-simulated-device",
      `delete model-package ${modelPackageArn({ group: "qi-dev-scratch-detector", version: 1 })}`,
      `delete model-package ${modelPackageArn({ group: "qi-dev-scratch-detector", version: 2 })}`,
      `delete model-package ${modelPackageArn({ group: "qi-dev-scratch-detector", version: 3 })}`,
    ]);
    expect(plan.problems).to.deep.equal([]);
    expect(plan.kept.join("\n")).to.contain(`the data lake s3://${BUCKET}`);
    expect(changes()).to.deep.equal([]);
    expect(
      account.calls.filter((c) => c.startsWith("objectVersions.")),
      "the data lake is not even listed without --delete-data",
    ).to.deep.equal([]);
    expect(regions, "the stack's region").to.deep.equal(["eu-west-1"]);

    const human = await cli(["cleanup", "--stack", "dev", "--dry-run"]);
    expect(human.stdout).to.contain("stack dev (qi-dev, eu-west-1): 13 resources the pipeline created at run time");
    expect(human.stdout).to.contain("  cancel and delete deployment d-dev-2 (qi-dev-fleet, ACTIVE)");
    expect(human.stdout).to.contain("  delete model package qi-dev-scratch-detector/1 (Approved)");
    expect(human.stdout).to.contain("dry run: nothing was changed");
    expect(changes()).to.deep.equal([]);
  });

  it("removes them in order with --yes, leaves other stacks alone, and a second run is a no-op", async () => {
    const run = await cli(["cleanup", "--stack", "dev", "--yes"]);
    expect(run.code, run.stdout + run.stderr).to.equal(0);
    expect(progress(run)).to.deep.equal([
      "[1/13] stopped execution manual-20261129T1030-ab12cd34",
      `[2/13] stopped labeling job ${ours.labelingJob}`,
      `[3/13] stopped training job ${ours.trainingJob}`,
      `[4/13] stopped compilation job ${ours.compilationJob}`,
      "[5/13] cancelled and deleted deployment d-dev-2 (qi-dev-fleet, ACTIVE)",
      "[6/13] deleted deployment d-dev-1 (qi-dev-fleet, INACTIVE)",
      "[7/13] deleted component version qi-dev.ScratchDetector 1.0.4242",
      "[8/13] deleted component version qi-dev.ScratchDetectorModel 1.0.1",
      "[9/13] deleted component version qi-dev.ScratchDetectorModel 1.0.2",
      "[10/13] deleted core device qi-dev-simulated-device",
      "[11/13] deleted model package qi-dev-scratch-detector/1 (Approved)",
      "[12/13] deleted model package qi-dev-scratch-detector/2 (Rejected)",
      "[13/13] deleted model package qi-dev-scratch-detector/3 (PendingManualApproval)",
    ]);
    expect(run.stdout).to.contain("13 removed, 0 already gone, 0 failed, 0 skipped");
    expect(run.stdout).to.contain("next: pulumi destroy --stack dev");

    // The deployment was cancelled before any version it ran was deleted, so no device lost its components.
    const done = changes();
    expect(done.indexOf("deployments.cancel d-dev-2")).to.be.lessThan(
      done.findIndex((c) => c.startsWith("components.deleteVersion")),
    );
    expect(account.broken).to.deep.equal([]);
    expect(account.deployments.map((d) => d.deploymentId)).to.deep.equal(["d-dev2", "d-thing"]);
    expect([...account.components.keys()]).to.deep.equal([
      "qi-dev2.ScratchDetectorModel",
      "qi-dev.ScratchDetectorModel-experiment",
    ]);
    expect([...account.coreDevices]).to.deep.equal(["qi-dev2-simulated-device"]);
    expect(account.packages.map((p) => p.group)).to.deep.equal([
      "qi-dev2-scratch-detector",
      "qi-dev-scratch-detector-old",
    ]);
    const running = account.jobs.filter((j) => ["InProgress", "INPROGRESS", "STARTING"].includes(j.status));
    expect(running.map((j) => j.name)).to.deep.equal([
      names("qi-dev2").trainingJob,
      names("qi-dev-train").trainingJob,
      "qi-dev-train-by-hand",
      names("qi-dev2").compilationJob,
    ]);
    expect(bucket.entries).to.have.length(4);

    const before = changes().length;
    const again = await cli(["cleanup", "--stack", "dev", "--yes"]);
    expect(again.code).to.equal(0);
    expect(again.stdout).to.contain("stack dev (qi-dev, eu-west-1): nothing the pipeline created at run time is left");
    expect(changes()).to.have.length(before);
  });

  it("reports access denied on one item, still cleans the rest, exits 1, and a later run finishes", async () => {
    account.refuse(
      `modelPackages.delete ${modelPackageArn({ group: "qi-dev-scratch-detector", version: 1 })}`,
      awsError("AccessDeniedException", "not authorized to perform sagemaker:DeleteModelPackage"),
    );
    account.refuse(
      "coreDevices.delete",
      awsError("AccessDeniedException", "not authorized to perform greengrass:DeleteCoreDevice"),
    );
    const run = await cli(["cleanup", "--stack", "dev", "--yes"]);
    expect(run.code).to.equal(1);
    expect(progress(run)).to.include(
      "[10/13] FAILED to delete core device qi-dev-simulated-device: access denied: not authorized to perform greengrass:DeleteCoreDevice",
    );
    expect(progress(run)).to.include(
      "[11/13] FAILED to delete model package qi-dev-scratch-detector/1 (Approved): access denied: not authorized to perform sagemaker:DeleteModelPackage",
    );
    expect(run.stdout).to.contain("11 removed, 0 already gone, 2 failed, 0 skipped");
    expect(run.stdout).to.contain("not everything could be removed");
    expect(account.packages.filter((p) => p.group === "qi-dev-scratch-detector").map((p) => p.version)).to.deep.equal([
      1,
    ]);
    expect(account.components.has("qi-dev.ScratchDetectorModel")).to.equal(false);

    account.refusals.length = 0;
    const retry = await cli(["cleanup", "--stack", "dev", "--yes", "--json"]);
    expect(retry.code).to.equal(0);
    const result = JSON.parse(retry.stdout) as { items: { kind: string; outcome: string }[] };
    expect(result.items.map((i) => `${i.kind} ${i.outcome}`)).to.deep.equal([
      "core-device removed",
      "model-package removed",
    ]);
  });

  it("counts a resource that went away or ended since it was listed as done", async () => {
    account.failNext("jobs.stop training-job", awsError("ResourceNotFound", "Requested resource not found"));
    account.failNext(
      "jobs.stop compilation-job",
      awsError("ValidationException", "The job status is COMPLETED; it cannot be stopped."),
    );
    account.refuse("deployments.delete d-dev-1", awsError("ResourceNotFoundException", "deployment d-dev-1 not found"));
    const run = await cli(["cleanup", "--stack", "dev", "--yes"]);
    expect(progress(run)).to.include(`[3/13] training job ${ours.trainingJob}: already gone`);
    expect(progress(run)).to.include(`[4/13] compilation job ${ours.compilationJob}: no longer running`);
    expect(progress(run)).to.include("[6/13] deployment d-dev-1 (qi-dev-fleet, INACTIVE): already gone");
    expect(run.stdout).to.contain("10 removed, 3 already gone, 0 failed, 0 skipped");
    expect(run.code).to.equal(0);
  });

  it("deletes component versions once their deployment is cancelled, even if deleting the deployment failed", async () => {
    account.failNext("deployments.delete", awsError("InternalServerException", "try again"));
    const run = await cli(["cleanup", "--stack", "dev", "--yes"]);
    expect(progress(run)[4]).to.equal(
      "[5/13] FAILED to cancel and delete deployment d-dev-2 (qi-dev-fleet, ACTIVE): InternalServerException: try again",
    );
    expect(account.deployments.find((d) => d.deploymentId === "d-dev-2")?.deploymentStatus).to.equal("CANCELED");
    expect(account.components.has("qi-dev.ScratchDetectorModel")).to.equal(false);
    expect(account.broken).to.deep.equal([]);
    expect(run.code).to.equal(1);
  });

  it("keeps component versions while a deployment of the fleet could not be cancelled", async () => {
    account.refuse(
      "deployments.cancel",
      awsError("AccessDeniedException", "not authorized to perform greengrass:CancelDeployment"),
    );
    const run = await cli(["cleanup", "--stack", "dev", "--yes"]);
    expect(run.code).to.equal(1);
    expect(progress(run)).to.include(
      "[7/13] skipped component version qi-dev.ScratchDetector 1.0.4242: deployment d-dev-2 could not be cancelled",
    );
    expect(account.broken).to.deep.equal([]);
    expect(account.components.get("qi-dev.ScratchDetectorModel")).to.deep.equal(["1.0.1", "1.0.2"]);
    expect(account.coreDevices.has("qi-dev-simulated-device"), "the rest is still cleaned").to.equal(false);
    expect(run.stdout).to.contain("9 removed, 0 already gone, 1 failed, 3 skipped");
  });

  it("retries throttled calls with back-off", async () => {
    const throttled = () => awsError("ThrottlingException", "Rate exceeded");
    account.failNext("jobs.list training-job", throttled(), throttled(), throttled());
    account.failNext("modelPackages.delete", throttled());
    account.failNext("components.list", throttled());
    const run = await cli(["cleanup", "--stack", "dev", "--yes"]);
    expect(run.code, run.stdout).to.equal(0);
    expect(run.stdout).to.contain("13 removed");
    expect(sleeps).to.deep.equal([1000, 2000, 4000, 1000, 1000]);
  });

  it("reports a kind it could not list, still cleans the rest, and exits 1", async () => {
    account.refuse(
      "jobs.list labeling-job",
      awsError("AccessDeniedException", "not authorized to perform sagemaker:ListLabelingJobs"),
    );
    const run = await cli(["cleanup", "--stack", "dev", "--yes"]);
    expect(run.code).to.equal(1);
    expect(run.stdout).to.contain(
      "could not list labeling jobs: access denied: not authorized to perform sagemaker:ListLabelingJobs",
    );
    expect(run.stdout).to.contain("12 removed, 0 already gone, 0 failed, 0 skipped");
    const dryRun = await cli(["cleanup", "--stack", "dev", "--dry-run"]);
    expect(dryRun.code, "a dry run that could not list everything").to.equal(1);
  });

  it("asks on a terminal, and refuses without one unless given --yes", async () => {
    const refused = await cli(["cleanup", "--stack", "dev"]);
    expect(refused.code).to.equal(2);
    expect(refused.stdout).to.contain("13 resources the pipeline created at run time");
    expect(refused.stderr).to.contain("pass --yes to go ahead (or --dry-run to only list them)");
    expect(changes()).to.deep.equal([]);

    const questions: string[] = [];
    const answer = (text: string) => async (question: string) => {
      questions.push(question);
      return text;
    };
    const declined = await cli(["cleanup", "--stack", "dev"], { prompt: answer("yes") });
    expect(declined.code).to.equal(1);
    expect(questions).to.deep.equal(["Type the stack name (dev) to delete them: "]);
    expect(declined.stdout).to.contain("not confirmed: nothing was changed");
    expect(changes()).to.deep.equal([]);

    const confirmed = await cli(["cleanup", "--stack", "dev"], { prompt: answer("dev\n") });
    expect(confirmed.code).to.equal(0);
    expect(confirmed.stdout).to.contain("13 removed");
  });

  it("uses the selected stack when --stack is not given", async () => {
    const run = await cli(["cleanup", "--dry-run"]);
    expect(run.code).to.equal(0);
    expect(run.stdout).to.contain("stack dev (qi-dev, eu-west-1)");
  });

  describe("--delete-data", () => {
    it("deletes every object version of the dev data lake with --yes", async () => {
      const dryRun = await cli(["cleanup", "--stack", "dev", "--delete-data", "--dry-run"]);
      expect(dryRun.stdout).to.contain(`empty data lake s3://${BUCKET}: 4 object versions and delete markers`);
      expect(bucket.entries).to.have.length(4);

      const withoutYes = await cli(["cleanup", "--stack", "dev", "--delete-data"], { prompt: async () => "dev" });
      expect(withoutYes.code, "never confirmed by a prompt").to.equal(2);
      expect(withoutYes.stderr).to.contain("add --yes");

      const run = await cli(["cleanup", "--stack", "dev", "--delete-data", "--yes"]);
      expect(run.code, run.stdout).to.equal(0);
      expect(progress(run).at(-1)).to.equal(
        `[14/14] emptied data lake s3://${BUCKET}: 4 object versions and delete markers`,
      );
      expect(bucket.entries).to.deep.equal([]);
      expect(account.calls.filter((c) => c.startsWith("objectVersions.delete"))).to.deep.equal([
        "objectVersions.delete 3",
        "objectVersions.delete 1",
      ]);
    });

    it("reports objects S3 refused to delete and exits 1", async () => {
      bucket.refuse = (key) => key.startsWith("images/");
      const run = await cli(["cleanup", "--stack", "dev", "--delete-data", "--yes"]);
      expect(run.code).to.equal(1);
      expect(progress(run).at(-1)).to.match(
        /FAILED to empty data lake .*: 2 object versions could not be deleted \(images\/line-1\/a\.jpg: AccessDenied Access Denied;/,
      );
      expect(bucket.entries.map((e) => e.key)).to.deep.equal(["images/line-1/a.jpg", "images/line-1/a.jpg"]);
    });

    it("is refused for prod, whose config keeps its data, even with --yes", async () => {
      const run = await cli(["cleanup", "--stack", "prod", "--delete-data", "--yes"]);
      expect(run.code).to.equal(2);
      expect(run.stderr).to.contain(
        "--delete-data: stack prod keeps its data (qualityinspection:dataLake.allowDeleteData is false in Pulumi.prod.yaml)",
      );
      expect(account.calls, "no service is called at all").to.deep.equal([]);
    });

    it("needs both --yes and a config that allows it", async () => {
      const project = mkdtempSync(path.join(tmpdir(), "qi-project-"));
      copyFileSync(path.join(PROJECT_DIR, "Pulumi.yaml"), path.join(project, "Pulumi.yaml"));
      const prodFile = readFileSync(path.join(PROJECT_DIR, "Pulumi.prod.yaml"), "utf8");
      const allowing = prodFile.replace(
        "qualityinspection:dataLake.allowDeleteData: false",
        "qualityinspection:dataLake.allowDeleteData: true",
      );
      expect(allowing).to.not.equal(prodFile);
      writeFileSync(path.join(project, "Pulumi.prod.yaml"), allowing);

      const withoutYes = await cli(["cleanup", "--stack", "prod", "--delete-data"], { projectDir: project });
      expect(withoutYes.code).to.equal(2);
      expect(bucket.entries).to.have.length(4);

      const run = await cli(["cleanup", "--stack", "prod", "--delete-data", "--yes"], { projectDir: project });
      expect(run.code, run.stdout).to.equal(0);
      expect(run.stdout).to.contain("stack prod (qi-prod, eu-west-1)");
      expect(bucket.entries).to.deep.equal([]);
      expect(account.deployments, "another stack's deployments stay").to.have.length(4);
    });
  });

  it("says which stack file is missing", async () => {
    const run = await cli(["cleanup", "--stack", "qa", "--dry-run"]);
    expect(run.code).to.equal(2);
    expect(run.stderr).to.match(/stack qa: there is no Pulumi\.qa\.yaml in .* to read its settings from/);
  });
});
