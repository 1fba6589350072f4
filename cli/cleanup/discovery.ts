import type { CleanupPorts } from "../ports";
import { CleanupItem, inCleanupOrder, JOB_KINDS, KIND_NAMES } from "./items";
import { eachVersionPage, everyPage, explainFailure, retrying, Sleep } from "./serviceCalls";
import {
  isFleetDeployment,
  isRunningJob,
  isStackComponent,
  isStackJobName,
  isStackModelPackage,
  StackTargets,
  tagsAllow,
} from "./targets";

/** What cleanup works with: the services, how to wait, and where progress of long work goes. */
export interface CleanupIo {
  ports: CleanupPorts;
  sleep: Sleep;
  /** Progress of long work (object deletion batches). */
  progress: (line: string) => void;
}

export interface Discovery {
  items: CleanupItem[];
  /** What could not be listed; cleanup still does the rest and exits non-zero. */
  problems: string[];
}

/** Lists one kind (or a few) of the stack's resources; `add` takes each as it is found. */
type Lister = (targets: StackTargets, io: CleanupIo, add: (item: CleanupItem) => void) => Promise<void>;

/** Lists everything of the stack that cleanup removes, in removal order. */
export async function discover(
  targets: StackTargets,
  io: CleanupIo,
  options: { deleteData: boolean },
): Promise<Discovery> {
  const items: CleanupItem[] = [];
  const problems: string[] = [];
  const listing = async (what: string, list: Lister) => {
    try {
      await list(targets, io, (item) => items.push(item));
    } catch (error) {
      problems.push(`could not list ${what}: ${explainFailure(error)}`);
    }
  };

  if (targets.stateMachineArn) await listing("the state machine's running executions", runningExecutions);
  for (const kind of JOB_KINDS) await listing(`${KIND_NAMES[kind]}s`, runningJobs(kind));
  await listing("the fleet's deployments", fleetDeployments);
  await listing("the stack's component versions", componentVersions);
  for (const thingName of targets.coreDevices) await listing(`core device ${thingName}`, coreDevice(thingName));
  await listing(`the model packages of ${targets.modelPackageGroupName}`, modelPackages);
  if (options.deleteData && targets.bucketName) await listing(`the objects of s3://${targets.bucketName}`, data);

  return { items: inCleanupOrder(items), problems };
}

const runningExecutions: Lister = async (targets, { ports, sleep }, add) => {
  const running = await everyPage((next) => ports.executions.listRunning(targets.stateMachineArn!, next), sleep);
  for (const execution of running) add({ kind: "execution", id: execution.arn, label: execution.name, action: "stop" });
};

/** SageMaker filters by a substring (and a status) only; the stack's exact name pattern and tags decide. */
const runningJobs =
  (kind: (typeof JOB_KINDS)[number]): Lister =>
  async (targets, { ports, sleep }, add) => {
    const contains = `${targets.namePrefix}-`;
    const candidates = (await everyPage((next) => ports.jobs.list(kind, contains, next), sleep)).filter(
      (job) => job.name && isStackJobName(targets, kind, job.name) && isRunningJob(kind, job.status),
    );
    for (const job of candidates) {
      const tags = await retrying(() => ports.jobs.tags(job.arn), sleep);
      if (tagsAllow(targets, tags)) add({ kind, id: job.name, label: job.name, action: "stop" });
    }
  };

const fleetDeployments: Lister = async (targets, { ports, sleep }, add) => {
  const deployments = await everyPage((next) => ports.deployments.list(next), sleep);
  for (const d of deployments.filter((d) => isFleetDeployment(targets, d.targetArn))) {
    add({
      kind: "deployment",
      id: d.id,
      label: `${d.id} (${d.name ?? "unnamed"}, ${d.status ?? "unknown status"})`,
      action: d.status === "ACTIVE" ? "cancel and delete" : "delete",
    });
  }
};

const componentVersions: Lister = async (targets, { ports, sleep }, add) => {
  const components = await everyPage((next) => ports.components.list(next), sleep);
  for (const component of components.filter((c) => isStackComponent(targets, c.name))) {
    const versions = await everyPage((next) => ports.components.versions(component.arn, next), sleep);
    for (const version of versions) {
      add({
        kind: "component-version",
        id: version.arn,
        label: `${component.name} ${version.version}`,
        action: "delete",
      });
    }
  }
};

/** A device whose nucleus never connected has no record to delete. */
const coreDevice =
  (thingName: string): Lister =>
  async (_targets, { ports, sleep }, add) => {
    if (await retrying(() => ports.coreDevices.exists(thingName), sleep)) {
      add({ kind: "core-device", id: thingName, label: thingName, action: "delete" });
    }
  };

const modelPackages: Lister = async (targets, { ports, sleep }, add) => {
  const packages = await everyPage((next) => ports.modelPackages.list(targets.modelPackageGroupName, next), sleep);
  for (const p of packages.filter((p) => isStackModelPackage(targets, p))) {
    add({
      kind: "model-package",
      id: p.arn,
      label: `${p.group}/${p.version} (${p.approval ?? "no status"})`,
      action: "delete",
    });
  }
};

const data: Lister = async (targets, { ports, sleep }, add) => {
  const bucket = targets.bucketName!;
  let objectVersions = 0;
  await eachVersionPage(ports.objectVersions, bucket, sleep, async (batch) => {
    objectVersions += batch.length;
  });
  if (objectVersions > 0) {
    add({
      kind: "data",
      id: bucket,
      label: `s3://${bucket}: ${objectVersions} object versions and delete markers`,
      action: "empty",
    });
  }
};
