import {
  CancelDeploymentCommand,
  DeleteComponentCommand,
  DeleteCoreDeviceCommand,
  DeleteDeploymentCommand,
  GetCoreDeviceCommand,
  GreengrassV2Client,
  ListComponentsCommand,
  ListComponentVersionsCommand,
  ListDeploymentsCommand,
} from "@aws-sdk/client-greengrassv2";
import { DeleteObjectsCommand, ListObjectVersionsCommand, S3Client } from "@aws-sdk/client-s3";
import {
  DeleteModelPackageCommand,
  ListCompilationJobsCommand,
  ListLabelingJobsCommand,
  ListModelPackagesCommand,
  ListTagsCommand,
  ListTrainingJobsCommand,
  SageMakerClient,
  StopCompilationJobCommand,
  StopLabelingJobCommand,
  StopTrainingJobCommand,
} from "@aws-sdk/client-sagemaker";
import { ListExecutionsCommand, SFNClient, StopExecutionCommand } from "@aws-sdk/client-sfn";
import type { StackConfig } from "../config/schema";
import { componentNames } from "../contracts/modelComponent";
import { jobNamePattern } from "../lib/runNames";
import { EXIT, UsageError } from "./errors";
import { allPages, PageFetch } from "./pages";

// `pipeline cleanup`: finds what a stack's pipeline created at run time, by the stack's own names (and tags), and
// removes it in an order that leaves nothing half-used. What counts as the stack's is decided by pure functions of
// names and tags; the AWS calls follow them.

/** How cleanup recognises one stack's resources: names from its config, plus what its outputs add once deployed. */
export interface StackTargets {
  stack: string;
  region: string;
  namePrefix: string;
  /** The stack's common tags: a job tagged for another stack or project is never touched, whatever its name. */
  tags: Record<string, string>;
  modelPackageGroupName: string;
  thingGroupName: string;
  componentNames: string[];
  coreDevices: string[];
  /** Only while the stack is deployed (stack outputs). */
  stateMachineArn?: string;
  bucketName?: string;
  allowDeleteData: boolean;
}

export function stackTargets(config: StackConfig, outputs: Record<string, unknown>): StackTargets {
  const names = componentNames(config.namePrefix);
  const deployedDevices = Array.isArray(outputs.coreDeviceThingNames) ? outputs.coreDeviceThingNames.map(String) : [];
  const text = (value: unknown) => (typeof value === "string" && value ? value : undefined);
  return {
    stack: config.stack,
    region: config.region,
    namePrefix: config.namePrefix,
    tags: config.tags,
    modelPackageGroupName: config.registry.modelPackageGroupName,
    thingGroupName: config.edge.thingGroupName,
    componentNames: [names.inference, names.model],
    // A device dropped from the config since the last `pulumi up` may still have a core device record.
    coreDevices: [...new Set([...config.edge.coreDevices, ...deployedDevices])],
    stateMachineArn: text(outputs.stateMachineArn),
    bucketName: text(outputs.bucketName),
    allowDeleteData: config.dataLake.allowDeleteData,
  };
}

/** Kinds of resources, in the order they are removed: nothing is deleted while something still running may use it. */
export const CLEANUP_ORDER = [
  "execution",
  "labeling-job",
  "training-job",
  "compilation-job",
  "deployment",
  "component-version",
  "core-device",
  "model-package",
  "data",
] as const;
export type CleanupKind = (typeof CLEANUP_ORDER)[number];

const KIND_NAMES: Record<CleanupKind, string> = {
  execution: "execution",
  "labeling-job": "labeling job",
  "training-job": "training job",
  "compilation-job": "compilation job",
  deployment: "deployment",
  "component-version": "component version",
  "core-device": "core device",
  "model-package": "model package",
  data: "data lake",
};

export type CleanupAction = "stop" | "cancel and delete" | "delete" | "empty";
const DONE: Record<CleanupAction, string> = {
  stop: "stopped",
  "cancel and delete": "cancelled and deleted",
  delete: "deleted",
  empty: "emptied",
};

export interface CleanupItem {
  kind: CleanupKind;
  /** What the AWS call takes: an ARN, a name or an id. */
  id: string;
  /** How a person recognises it. */
  label: string;
  action: CleanupAction;
}

export type Outcome = "removed" | "gone" | "failed" | "skipped";
export interface ItemResult extends CleanupItem {
  outcome: Outcome;
  message?: string;
  /** A deployment that could not be cancelled: it may still hand its component versions to devices. */
  stillActive?: boolean;
}

type SageMakerJobKind = "labeling-job" | "training-job" | "compilation-job";

const JOB_PATTERNS: Record<SageMakerJobKind, (namePrefix: string) => RegExp[]> = {
  "labeling-job": (p) => [jobNamePattern(p, "labelingJob"), jobNamePattern(p, "verificationJob")],
  "training-job": (p) => [jobNamePattern(p, "trainingJob")],
  "compilation-job": (p) => [jobNamePattern(p, "compilationJob")],
};
const RUNNING: Record<SageMakerJobKind, string[]> = {
  "labeling-job": ["InProgress"],
  "training-job": ["InProgress"],
  "compilation-job": ["STARTING", "INPROGRESS"],
};

/** A job named the way StartRun names this stack's jobs (and so not `qi-dev2-…` for stack dev). */
export function isStackJobName(targets: StackTargets, kind: SageMakerJobKind, name: string): boolean {
  return JOB_PATTERNS[kind](targets.namePrefix).some((pattern) => pattern.test(name));
}

export function isRunningJob(kind: SageMakerJobKind, status: string | undefined): boolean {
  return RUNNING[kind].includes(status ?? "");
}

/**
 * Names can collide (stack `dev-train`'s jobs start like stack `dev`'s training jobs); tags cannot. A job whose
 * project or stack tag names someone else is not ours. Untagged jobs (created before runs tagged them) go by name.
 */
export function tagsAllow(targets: StackTargets, tags: { Key?: string; Value?: string }[]): boolean {
  return Object.entries(targets.tags).every(([key, value]) => {
    const tag = tags.find((t) => t.Key === key);
    return tag === undefined || tag.Value === value;
  });
}

/** A deployment to this stack's thing group, in any region or account the credentials reach. */
export function isFleetDeployment(targets: StackTargets, targetArn: string | undefined): boolean {
  const match = /^arn:aws[a-z-]*:iot:[a-z0-9-]+:\d{12}:thinggroup\/(.+)$/.exec(targetArn ?? "");
  return match?.[1] === targets.thingGroupName;
}

export function isStackComponent(targets: StackTargets, componentName: string | undefined): boolean {
  return targets.componentNames.includes(componentName ?? "");
}

export function isStackModelPackage(
  targets: StackTargets,
  summary: { ModelPackageGroupName?: string; ModelPackageArn?: string },
): boolean {
  const group = targets.modelPackageGroupName;
  return (
    summary.ModelPackageGroupName === group && Boolean(summary.ModelPackageArn?.includes(`:model-package/${group}/`))
  );
}

/** The items in removal order; within a kind, the order they were found in. */
export function inCleanupOrder(items: CleanupItem[]): CleanupItem[] {
  return [...items].sort((a, b) => CLEANUP_ORDER.indexOf(a.kind) - CLEANUP_ORDER.indexOf(b.kind));
}

/** One line of the plan: what will happen to what. */
export function describeItem(item: CleanupItem): string {
  return `${item.action} ${KIND_NAMES[item.kind]} ${item.label}`;
}

/** One line of progress: what happened to it. */
export function describeResult(result: ItemResult): string {
  const what = `${KIND_NAMES[result.kind]} ${result.label}`;
  switch (result.outcome) {
    case "removed":
      return `${DONE[result.action]} ${what}${result.message ? ` (${result.message})` : ""}`;
    case "gone":
      return `${what}: ${result.message ?? "already gone"}`;
    case "skipped":
      return `skipped ${what}: ${result.message}`;
    case "failed":
      return `FAILED to ${result.action} ${what}: ${result.message}`;
  }
}

// --- AWS: listing and removing, each call retried while AWS throttles.

export interface CleanupClients {
  sfn: SFNClient;
  sagemaker: SageMakerClient;
  greengrass: GreengrassV2Client;
  s3: S3Client;
}

export interface CleanupIo {
  clients: CleanupClients;
  sleep: (ms: number) => Promise<void>;
  /** Progress of long work (object deletion batches). */
  progress: (line: string) => void;
}

const nameOf = (error: unknown) => (error as { name?: string }).name ?? "Error";
const messageOf = (error: unknown) => (error as { message?: string }).message ?? String(error);

const THROTTLING = new Set([
  "ThrottlingException",
  "Throttling",
  "TooManyRequestsException",
  "RequestLimitExceeded",
  "SlowDown",
]);
export function isThrottling(error: unknown): boolean {
  return (
    THROTTLING.has(nameOf(error)) ||
    (error as { $retryable?: { throttling?: boolean } }).$retryable?.throttling === true
  );
}

const NOT_FOUND = new Set(["ResourceNotFoundException", "ResourceNotFound", "ExecutionDoesNotExist", "NoSuchBucket"]);
/** Already gone: deleted by someone else, or by an earlier run of cleanup. */
export function isGone(error: unknown): boolean {
  return (
    NOT_FOUND.has(nameOf(error)) ||
    (nameOf(error) === "ValidationException" &&
      /does not exist|not found|cannot be found|could not find/i.test(messageOf(error)))
  );
}

export function explainFailure(error: unknown): string {
  const name = nameOf(error);
  if (/AccessDenied/.test(name)) return `access denied: ${messageOf(error)}`;
  if (isThrottling(error)) return `AWS kept throttling the requests (${name}); run cleanup again later`;
  return `${name}: ${messageOf(error)}`;
}

/** Retries beyond the SDK's own attempts, with back-off, while AWS throttles (listing loops make many calls). */
const THROTTLED_RETRIES = 5;
async function retrying<T>(call: () => Promise<T>, sleep: (ms: number) => Promise<void>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (!isThrottling(error) || attempt > THROTTLED_RETRIES) throw error;
      await sleep(Math.min(1000 * 2 ** (attempt - 1), 20_000));
    }
  }
}

export interface Discovery {
  items: CleanupItem[];
  /** What could not be listed; cleanup still does the rest and exits non-zero. */
  problems: string[];
}

/** Lists everything of the stack that cleanup removes, in removal order. */
export async function discover(
  targets: StackTargets,
  io: CleanupIo,
  options: { deleteData: boolean },
): Promise<Discovery> {
  const { clients, sleep } = io;
  const items: CleanupItem[] = [];
  const problems: string[] = [];
  // Each page is retried on its own when throttled.
  const pages = <T>(fetch: PageFetch<T>) => allPages((nextToken) => retrying(() => fetch(nextToken), sleep));
  const listing = async (what: string, list: () => Promise<void>) => {
    try {
      await list();
    } catch (error) {
      problems.push(`could not list ${what}: ${explainFailure(error)}`);
    }
  };

  const { stateMachineArn } = targets;
  if (stateMachineArn) {
    await listing("the state machine's running executions", async () => {
      const running = await pages((nextToken) =>
        clients.sfn
          .send(new ListExecutionsCommand({ stateMachineArn, statusFilter: "RUNNING", nextToken }))
          .then((page) => ({ items: page.executions, nextToken: page.nextToken })),
      );
      for (const execution of running) {
        items.push({ kind: "execution", id: execution.executionArn!, label: execution.name!, action: "stop" });
      }
    });
  }

  // SageMaker filters by a substring (and a status) only; the stack's exact name pattern and tags decide.
  const contains = `${targets.namePrefix}-`;
  const jobLists: Record<
    SageMakerJobKind,
    (nextToken?: string) => Promise<{ items?: { name?: string; arn?: string; status?: string }[]; nextToken?: string }>
  > = {
    "labeling-job": (NextToken) =>
      clients.sagemaker
        .send(new ListLabelingJobsCommand({ NameContains: contains, StatusEquals: "InProgress", NextToken }))
        .then((page) => ({
          items: page.LabelingJobSummaryList?.map((j) => ({
            name: j.LabelingJobName,
            arn: j.LabelingJobArn,
            status: j.LabelingJobStatus,
          })),
          nextToken: page.NextToken,
        })),
    "training-job": (NextToken) =>
      clients.sagemaker
        .send(new ListTrainingJobsCommand({ NameContains: contains, StatusEquals: "InProgress", NextToken }))
        .then((page) => ({
          items: page.TrainingJobSummaries?.map((j) => ({
            name: j.TrainingJobName,
            arn: j.TrainingJobArn,
            status: j.TrainingJobStatus,
          })),
          nextToken: page.NextToken,
        })),
    "compilation-job": (NextToken) =>
      clients.sagemaker.send(new ListCompilationJobsCommand({ NameContains: contains, NextToken })).then((page) => ({
        items: page.CompilationJobSummaries?.map((j) => ({
          name: j.CompilationJobName,
          arn: j.CompilationJobArn,
          status: j.CompilationJobStatus,
        })),
        nextToken: page.NextToken,
      })),
  };
  for (const kind of ["labeling-job", "training-job", "compilation-job"] as const) {
    await listing(`${KIND_NAMES[kind]}s`, async () => {
      const candidates = (await pages(jobLists[kind])).filter(
        (job) => job.name && isStackJobName(targets, kind, job.name) && isRunningJob(kind, job.status),
      );
      for (const job of candidates) {
        const { Tags = [] } = await retrying(
          () => clients.sagemaker.send(new ListTagsCommand({ ResourceArn: job.arn })),
          sleep,
        );
        if (tagsAllow(targets, Tags)) items.push({ kind, id: job.name!, label: job.name!, action: "stop" });
      }
    });
  }

  await listing("the fleet's deployments", async () => {
    const deployments = await pages((nextToken) =>
      clients.greengrass
        .send(new ListDeploymentsCommand({ historyFilter: "ALL", nextToken }))
        .then((page) => ({ items: page.deployments, nextToken: page.nextToken })),
    );
    for (const d of deployments.filter((d) => isFleetDeployment(targets, d.targetArn))) {
      const active = d.deploymentStatus === "ACTIVE";
      items.push({
        kind: "deployment",
        id: d.deploymentId!,
        label: `${d.deploymentId} (${d.deploymentName ?? "unnamed"}, ${d.deploymentStatus ?? "unknown status"})`,
        action: active ? "cancel and delete" : "delete",
      });
    }
  });

  await listing("the stack's component versions", async () => {
    const components = await pages((nextToken) =>
      clients.greengrass
        .send(new ListComponentsCommand({ scope: "PRIVATE", nextToken }))
        .then((page) => ({ items: page.components, nextToken: page.nextToken })),
    );
    for (const component of components.filter((c) => isStackComponent(targets, c.componentName))) {
      const versions = await pages((nextToken) =>
        clients.greengrass
          .send(new ListComponentVersionsCommand({ arn: component.arn, nextToken }))
          .then((page) => ({ items: page.componentVersions, nextToken: page.nextToken })),
      );
      for (const version of versions) {
        items.push({
          kind: "component-version",
          id: version.arn!,
          label: `${component.componentName} ${version.componentVersion}`,
          action: "delete",
        });
      }
    }
  });

  for (const coreDeviceThingName of targets.coreDevices) {
    await listing(`core device ${coreDeviceThingName}`, async () => {
      try {
        await retrying(() => clients.greengrass.send(new GetCoreDeviceCommand({ coreDeviceThingName })), sleep);
        items.push({ kind: "core-device", id: coreDeviceThingName, label: coreDeviceThingName, action: "delete" });
      } catch (error) {
        // A device whose nucleus never connected has no record to delete.
        if (!isGone(error)) throw error;
      }
    });
  }

  await listing(`the model packages of ${targets.modelPackageGroupName}`, async () => {
    const packages = await pages((NextToken) =>
      clients.sagemaker
        .send(new ListModelPackagesCommand({ ModelPackageGroupName: targets.modelPackageGroupName, NextToken }))
        .then((page) => ({ items: page.ModelPackageSummaryList, nextToken: page.NextToken })),
    );
    for (const p of packages.filter((p) => isStackModelPackage(targets, p))) {
      items.push({
        kind: "model-package",
        id: p.ModelPackageArn!,
        label: `${p.ModelPackageGroupName}/${p.ModelPackageVersion} (${p.ModelApprovalStatus ?? "no status"})`,
        action: "delete",
      });
    }
  });

  const { bucketName } = targets;
  if (options.deleteData && bucketName) {
    await listing(`the objects of s3://${bucketName}`, async () => {
      let objectVersions = 0;
      await eachVersionPage(bucketName, io, async (batch) => {
        objectVersions += batch.length;
      });
      if (objectVersions > 0) {
        items.push({
          kind: "data",
          id: bucketName,
          label: `s3://${bucketName}: ${objectVersions} object versions and delete markers`,
          action: "empty",
        });
      }
    });
  }

  return { items: inCleanupOrder(items), problems };
}

/** Walks every object version and delete marker of a bucket, a page (at most 1000) at a time. */
async function eachVersionPage(
  bucket: string,
  io: CleanupIo,
  each: (batch: { Key: string; VersionId?: string }[]) => Promise<void>,
): Promise<void> {
  let KeyMarker: string | undefined;
  let VersionIdMarker: string | undefined;
  do {
    const page = await retrying(
      () => io.clients.s3.send(new ListObjectVersionsCommand({ Bucket: bucket, KeyMarker, VersionIdMarker })),
      io.sleep,
    );
    const batch = [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])].map((v) => ({
      Key: v.Key!,
      VersionId: v.VersionId,
    }));
    if (batch.length > 0) await each(batch);
    [KeyMarker, VersionIdMarker] = page.IsTruncated ? [page.NextKeyMarker, page.NextVersionIdMarker] : [];
  } while (KeyMarker !== undefined);
}

/** Removes one item. A resource already gone counts as removed by someone else, not as a failure. */
export async function removeItem(item: CleanupItem, io: CleanupIo): Promise<ItemResult> {
  const { clients, sleep } = io;
  const call = <T>(send: () => Promise<T>) => retrying(send, sleep);
  try {
    switch (item.kind) {
      case "execution":
        await call(() =>
          clients.sfn.send(
            new StopExecutionCommand({
              executionArn: item.id,
              error: "StoppedByCleanup",
              cause: "the stack's run-time resources are being cleaned up",
            }),
          ),
        );
        break;
      case "labeling-job":
      case "training-job":
      case "compilation-job":
        try {
          await call(() => stopJob(clients.sagemaker, item.kind as SageMakerJobKind, item.id));
        } catch (error) {
          // A job that ended since it was listed is refused with a ValidationException about its status.
          if (nameOf(error) === "ValidationException" && !isGone(error)) {
            return { ...item, outcome: "gone", message: "no longer running" };
          }
          throw error;
        }
        break;
      case "deployment":
        if (item.action === "cancel and delete") {
          try {
            await call(() => clients.greengrass.send(new CancelDeploymentCommand({ deploymentId: item.id })));
          } catch (error) {
            // Conflict: no longer active (replaced or cancelled meanwhile), which is what cancelling wants.
            if (isGone(error)) return { ...item, outcome: "gone" };
            if (nameOf(error) !== "ConflictException") {
              return { ...item, outcome: "failed", message: explainFailure(error), stillActive: true };
            }
          }
        }
        await call(() => clients.greengrass.send(new DeleteDeploymentCommand({ deploymentId: item.id })));
        break;
      case "component-version":
        await call(() => clients.greengrass.send(new DeleteComponentCommand({ arn: item.id })));
        break;
      case "core-device":
        await call(() => clients.greengrass.send(new DeleteCoreDeviceCommand({ coreDeviceThingName: item.id })));
        break;
      case "model-package":
        await call(() => clients.sagemaker.send(new DeleteModelPackageCommand({ ModelPackageName: item.id })));
        break;
      case "data":
        return await deleteAllVersions(item, io);
    }
    return { ...item, outcome: "removed" };
  } catch (error) {
    if (isGone(error)) return { ...item, outcome: "gone" };
    return { ...item, outcome: "failed", message: explainFailure(error) };
  }
}

function stopJob(sagemaker: SageMakerClient, kind: SageMakerJobKind, name: string): Promise<unknown> {
  switch (kind) {
    case "labeling-job":
      return sagemaker.send(new StopLabelingJobCommand({ LabelingJobName: name }));
    case "training-job":
      return sagemaker.send(new StopTrainingJobCommand({ TrainingJobName: name }));
    case "compilation-job":
      return sagemaker.send(new StopCompilationJobCommand({ CompilationJobName: name }));
  }
}

async function deleteAllVersions(item: CleanupItem, io: CleanupIo): Promise<ItemResult> {
  let deleted = 0;
  const errors: string[] = [];
  await eachVersionPage(item.id, io, async (batch) => {
    const response = await retrying(
      () => io.clients.s3.send(new DeleteObjectsCommand({ Bucket: item.id, Delete: { Objects: batch, Quiet: true } })),
      io.sleep,
    );
    const failed = response.Errors ?? [];
    deleted += batch.length - failed.length;
    errors.push(...failed.map((e) => `${e.Key}: ${e.Code} ${e.Message ?? ""}`.trim()));
    io.progress(`  deleted ${deleted} object versions of s3://${item.id} so far`);
  });
  if (errors.length > 0) {
    const shown = errors.slice(0, 3).join("; ");
    return {
      ...item,
      outcome: "failed",
      message: `${errors.length} object versions could not be deleted (${shown}${errors.length > 3 ? "; …" : ""})`,
    };
  }
  return { ...item, outcome: "removed" };
}

/**
 * Removes the items one by one, in order, reporting each. Component versions stay while a deployment of the fleet
 * could not be cancelled: deleting them would break that deployment on the devices.
 */
export async function removeAll(
  items: CleanupItem[],
  io: CleanupIo,
  onResult: (result: ItemResult, index: number) => void,
): Promise<ItemResult[]> {
  const results: ItemResult[] = [];
  for (const item of items) {
    const stillActive = results.find((r) => r.stillActive);
    const result =
      item.kind === "component-version" && stillActive
        ? { ...item, outcome: "skipped" as const, message: `deployment ${stillActive.id} could not be cancelled` }
        : await removeItem(item, io);
    results.push(result);
    onResult(result, results.length - 1);
  }
  return results;
}

export interface CleanupOptions {
  dryRun: boolean;
  yes: boolean;
  deleteData: boolean;
  json: boolean;
}

export interface CleanupUi {
  /** The plan, the outcome and the JSON document: stdout. */
  print: (line: string) => void;
  /** Progress as it happens: stdout, or stderr under --json so that stdout stays one document. */
  progress: (line: string) => void;
  /** Asks on a terminal; absent when there is none to ask on. */
  confirm?: (question: string) => Promise<string>;
}

/** Lists the stack's run-time resources, asks (or takes --yes), removes them in order; returns the exit code. */
export async function runCleanup(
  targets: StackTargets,
  io: Omit<CleanupIo, "progress">,
  options: CleanupOptions,
  ui: CleanupUi,
): Promise<number> {
  const { stack } = targets;
  if (options.deleteData && !targets.allowDeleteData) {
    throw new UsageError(
      `--delete-data: stack ${stack} keeps its data (qualityinspection:dataLake.allowDeleteData is false in Pulumi.${stack}.yaml)`,
    );
  }
  if (options.deleteData && !options.yes && !options.dryRun) {
    throw new UsageError(
      "--delete-data deletes every object of the data lake and is never confirmed by a prompt: add --yes",
    );
  }

  const fullIo: CleanupIo = { ...io, progress: ui.progress };
  const found = await discover(targets, fullIo, { deleteData: options.deleteData });
  const kept = keptNotes(targets, options);
  const header = `stack ${stack} (${targets.namePrefix}, ${targets.region})`;
  if (!options.json) {
    ui.print(
      found.items.length === 0
        ? `${header}: nothing the pipeline created at run time is left`
        : `${header}: ${found.items.length} resource${found.items.length === 1 ? "" : "s"} the pipeline created at run time`,
    );
    for (const item of found.items) ui.print(`  ${describeItem(item)}`);
    for (const problem of found.problems) ui.print(`  ${problem}`);
    for (const note of kept) ui.print(`kept: ${note}`);
  }
  const document = (results?: ItemResult[]) =>
    JSON.stringify({
      stack,
      namePrefix: targets.namePrefix,
      region: targets.region,
      dryRun: options.dryRun,
      items: results ?? found.items,
      problems: found.problems,
      kept,
    });
  const listedAll = found.problems.length === 0 ? EXIT.ok : EXIT.failed;

  if (options.dryRun || found.items.length === 0) {
    if (options.json) ui.print(document());
    else if (options.dryRun) ui.print("dry run: nothing was changed");
    return listedAll;
  }
  if (!options.yes) {
    if (!ui.confirm) {
      throw new UsageError(
        `cleanup deletes the ${found.items.length} resources listed above: pass --yes to go ahead (or --dry-run to only list them)`,
      );
    }
    const answer = await ui.confirm(`Type the stack name (${stack}) to delete them: `);
    if (answer.trim() !== stack) {
      ui.progress("not confirmed: nothing was changed");
      if (options.json) ui.print(document());
      return EXIT.failed;
    }
  }

  const total = found.items.length;
  const results = await removeAll(found.items, fullIo, (result, index) =>
    ui.progress(`[${index + 1}/${total}] ${describeResult(result)}`),
  );
  const count = (outcome: Outcome) => results.filter((r) => r.outcome === outcome).length;
  const unfinished = count("failed") + count("skipped") + found.problems.length;
  if (options.json) {
    ui.print(document(results));
  } else {
    ui.print(
      `${count("removed")} removed, ${count("gone")} already gone, ${count("failed")} failed, ${count("skipped")} skipped`,
    );
    ui.print(
      unfinished > 0
        ? "not everything could be removed: fix what is named above and run cleanup again, then `pulumi destroy`"
        : `next: pulumi destroy --stack ${stack}`,
    );
  }
  return unfinished > 0 ? EXIT.failed : EXIT.ok;
}

function keptNotes(targets: StackTargets, options: CleanupOptions): string[] {
  const notes = ["records of finished SageMaker jobs (SageMaker keeps them; they cannot be deleted and cost nothing)"];
  if (!targets.bucketName) {
    if (options.deleteData) notes.push("no data lake to delete: the stack has no bucketName output (not deployed)");
  } else if (!options.deleteData) {
    notes.push(
      `the data lake s3://${targets.bucketName}` +
        (targets.allowDeleteData
          ? " (--delete-data --yes deletes its objects)"
          : ` (stack ${targets.stack} does not allow --delete-data)`),
    );
  }
  return notes;
}
