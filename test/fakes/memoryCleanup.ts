import type { CleanupPorts, DeleteFailure, JobKind, ObjectVersion, Page, VersionMarker } from "../../cli/ports";
import { awsError, componentArn, componentVersionArn, FakeDeployment } from "./fakeGreengrass";
import { modelPackageArn } from "./fakeSageMaker";

export interface MemoryExecution {
  arn: string;
  name: string;
  status: "RUNNING" | "SUCCEEDED" | "ABORTED";
}

export interface MemoryJob {
  kind: JobKind;
  name: string;
  status: string;
  tags: Record<string, string>;
}

export interface MemoryModelPackage {
  group: string;
  version: number;
  status: string;
}

const RUNNING_JOB = ["InProgress", "INPROGRESS", "STARTING"];
const STOPPING: Record<JobKind, string> = {
  "labeling-job": "Stopping",
  "training-job": "Stopping",
  "compilation-job": "STOPPING",
};
export const memoryJobArn = (job: Pick<MemoryJob, "kind" | "name">) =>
  `arn:aws:sagemaker:eu-west-1:123456789012:${job.kind}/${job.name}`;

/** The versions and delete markers of one versioned bucket, in S3's listing order (key, then newest first). */
export class MemoryBucket {
  readonly entries: { key: string; versionId: string; deleteMarker: boolean }[] = [];
  /** Keys S3 refuses to delete (AccessDenied), e.g. under a protected prefix. */
  refuse = (_key: string) => false;
  pageSize = 3;
  private readonly order = new Map<string, number>();

  constructor(readonly name: string) {}

  put(key: string, versions = 1, deleteMarker = false): this {
    for (let i = 0; i < versions; i++) this.add(key, false);
    if (deleteMarker) this.add(key, true);
    return this;
  }

  private add(key: string, deleteMarker: boolean) {
    const versionId = `v${this.order.size + 1}`;
    this.order.set(versionId, this.order.size);
    this.entries.push({ key, versionId, deleteMarker });
    this.entries.sort(
      (a, b) => a.key.localeCompare(b.key) || this.order.get(b.versionId)! - this.order.get(a.versionId)!,
    );
  }

  /** The entries after a marker (which may name an entry deleted since), a page of them. */
  page(after?: VersionMarker): { items: ObjectVersion[]; next?: VersionMarker } {
    const rank = (versionId?: string) => -this.order.get(versionId ?? "")!;
    const rest = this.entries.filter(
      (e) => !after || e.key > after.key || (e.key === after.key && rank(e.versionId) > rank(after.versionId)),
    );
    const items = rest.slice(0, this.pageSize).map(({ key, versionId }) => ({ key, versionId }));
    return { items, next: rest.length > items.length ? items.at(-1) : undefined };
  }

  delete(versions: ObjectVersion[]): DeleteFailure[] {
    const failures: DeleteFailure[] = [];
    for (const { key, versionId } of versions) {
      if (this.refuse(key)) {
        failures.push({ key, code: "AccessDenied", message: "Access Denied" });
        continue;
      }
      const index = this.entries.findIndex((e) => e.key === key && e.versionId === versionId);
      if (index >= 0) this.entries.splice(index, 1);
    }
    return failures;
  }
}

/**
 * One AWS account and region in memory, as cleanup's ports see it: executions, SageMaker jobs and model packages,
 * Greengrass deployments, component versions and core devices, and a versioned bucket. It keeps the rules cleanup
 * depends on: an active deployment cannot be deleted before it is cancelled, and deleting a version an active
 * deployment uses breaks that deployment (recorded in `broken`). Errors are named as the services name them.
 *
 * Every call is recorded as `<port>.<method> <what>`; `failNext` and `refuse` make calls whose line starts with a
 * prefix fail, once or always.
 */
export class MemoryAccount {
  readonly executions: MemoryExecution[] = [];
  readonly jobs: MemoryJob[] = [];
  readonly packages: MemoryModelPackage[] = [];
  readonly deployments: FakeDeployment[] = [];
  readonly components = new Map<string, string[]>();
  readonly coreDevices = new Set<string>();
  readonly calls: string[] = [];
  /** Deployments that lost a component version while active. */
  readonly broken: string[] = [];
  readonly refusals: { prefix: string; error: Error }[] = [];
  private readonly failures: { prefix: string; error: Error }[] = [];
  pageSize = 2;

  constructor(readonly bucket: MemoryBucket) {}

  /** The next calls starting with `prefix` fail with these errors, one each. */
  failNext(prefix: string, ...errors: Error[]): void {
    this.failures.push(...errors.map((error) => ({ prefix, error })));
  }

  /** Every call starting with `prefix` fails with this error. */
  refuse(prefix: string, error: Error): void {
    this.refusals.push({ prefix, error });
  }

  /** The calls that changed something (or tried to). */
  changes(): string[] {
    return this.calls.filter((c) => /^\w+\.(stop|cancel|delete\w*) /.test(c));
  }

  private async call<T>(line: string, handle: () => T): Promise<T> {
    this.calls.push(line);
    const failure = this.failures.findIndex((f) => line.startsWith(f.prefix));
    if (failure >= 0) throw this.failures.splice(failure, 1)[0].error;
    const refusal = this.refusals.find((r) => line.startsWith(r.prefix));
    if (refusal) throw refusal.error;
    return handle();
  }

  private page<T>(all: T[], nextToken?: string): Page<T> {
    const from = nextToken ? Number(nextToken) : 0;
    const to = Math.min(all.length, from + this.pageSize);
    return { items: all.slice(from, to), nextToken: to < all.length ? String(to) : undefined };
  }

  private deployment(id: string): FakeDeployment {
    const found = this.deployments.find((d) => d.deploymentId === id);
    if (!found) throw awsError("ResourceNotFoundException", `deployment ${id} not found`);
    return found;
  }

  private stopJob(kind: JobKind, name: string): void {
    const job = this.jobs.find((j) => j.kind === kind && j.name === name);
    if (!job) throw awsError("ResourceNotFound", `Requested resource not found: ${name}`);
    if (!RUNNING_JOB.includes(job.status)) {
      throw awsError("ValidationException", `The job status is ${job.status}; it cannot be stopped.`);
    }
    job.status = STOPPING[kind];
  }

  private deleteComponentVersion(arn: string): void {
    const [, name, version] = /^.*:components:(.+):versions:(.+)$/.exec(arn) ?? [];
    const versions = this.components.get(name);
    if (!versions?.includes(version)) throw awsError("ResourceNotFoundException", `${arn} not found`);
    for (const d of this.deployments) {
      if (d.deploymentStatus === "ACTIVE" && d.components.includes(`${name}:${version}`)) {
        this.broken.push(d.deploymentId);
      }
    }
    versions.splice(versions.indexOf(version), 1);
    if (versions.length === 0) this.components.delete(name);
  }

  ports(): CleanupPorts {
    return {
      executions: {
        listRunning: (stateMachineArn, nextToken) =>
          this.call(`executions.listRunning ${stateMachineArn}`, () =>
            this.page(
              this.executions.filter((e) => e.status === "RUNNING").map(({ arn, name }) => ({ arn, name })),
              nextToken,
            ),
          ),
        stop: (executionArn, reason) =>
          this.call(`executions.stop ${executionArn} ${reason.error}`, () => {
            const execution = this.executions.find((e) => e.arn === executionArn);
            if (!execution) throw awsError("ExecutionDoesNotExist", `Execution Does Not Exist: '${executionArn}'`);
            execution.status = "ABORTED";
          }),
      },
      jobs: {
        // Every status, as the port allows: cleanup itself must tell the running ones.
        list: (kind, nameContains, nextToken) =>
          this.call(`jobs.list ${kind} ${nameContains}`, () =>
            this.page(
              this.jobs
                .filter((j) => j.kind === kind && j.name.includes(nameContains))
                .map((j) => ({ name: j.name, arn: memoryJobArn(j), status: j.status })),
              nextToken,
            ),
          ),
        tags: (jobArn) =>
          this.call(`jobs.tags ${jobArn}`, () => {
            const job = this.jobs.find((j) => memoryJobArn(j) === jobArn);
            if (!job) throw awsError("ResourceNotFound", `no resource ${jobArn}`);
            return { ...job.tags };
          }),
        stop: (kind, name) => this.call(`jobs.stop ${kind} ${name}`, () => this.stopJob(kind, name)),
      },
      modelPackages: {
        list: (group, nextToken) =>
          this.call(`modelPackages.list ${group}`, () =>
            this.page(
              this.packages
                .filter((p) => p.group === group)
                .map((p) => ({ arn: modelPackageArn(p), group: p.group, version: p.version, approval: p.status })),
              nextToken,
            ),
          ),
        delete: (arn) =>
          this.call(`modelPackages.delete ${arn}`, () => {
            const index = this.packages.findIndex((p) => modelPackageArn(p) === arn);
            if (index < 0) throw awsError("ValidationException", `ModelPackage ${arn} does not exist.`);
            this.packages.splice(index, 1);
          }),
      },
      deployments: {
        list: (nextToken) =>
          this.call("deployments.list", () =>
            this.page(
              this.deployments.map((d) => ({
                id: d.deploymentId,
                name: d.deploymentName,
                targetArn: d.targetArn,
                status: d.deploymentStatus,
              })),
              nextToken,
            ),
          ),
        cancel: (id) =>
          this.call(`deployments.cancel ${id}`, () => {
            const deployment = this.deployment(id);
            if (deployment.deploymentStatus !== "ACTIVE")
              throw awsError("ConflictException", "deployment is not active");
            deployment.deploymentStatus = "CANCELED";
          }),
        delete: (id) =>
          this.call(`deployments.delete ${id}`, () => {
            const deployment = this.deployment(id);
            if (deployment.deploymentStatus === "ACTIVE") {
              throw awsError("ConflictException", "To delete an active deployment, you must first cancel it");
            }
            this.deployments.splice(this.deployments.indexOf(deployment), 1);
          }),
      },
      components: {
        list: (nextToken) =>
          this.call("components.list", () =>
            this.page(
              [...this.components.keys()].map((name) => ({ name, arn: componentArn(name) })),
              nextToken,
            ),
          ),
        versions: (arn, nextToken) =>
          this.call(`components.versions ${arn}`, () => {
            const name = [...this.components.keys()].find((n) => componentArn(n) === arn);
            if (!name) throw awsError("ResourceNotFoundException", `component ${arn} not found`);
            const versions = this.components.get(name)!.map((v) => ({ arn: componentVersionArn(name, v), version: v }));
            return this.page(versions, nextToken);
          }),
        deleteVersion: (arn) => this.call(`components.deleteVersion ${arn}`, () => this.deleteComponentVersion(arn)),
      },
      coreDevices: {
        exists: (thingName) => this.call(`coreDevices.exists ${thingName}`, () => this.coreDevices.has(thingName)),
        delete: (thingName) =>
          this.call(`coreDevices.delete ${thingName}`, () => {
            if (!this.coreDevices.delete(thingName))
              throw awsError("ResourceNotFoundException", "core device not found");
          }),
      },
      objectVersions: {
        list: (bucket, after) =>
          this.call(`objectVersions.list ${bucket}`, () => {
            if (bucket !== this.bucket.name) throw awsError("NoSuchBucket", `no bucket ${bucket}`);
            return this.bucket.page(after);
          }),
        delete: (bucket, versions) =>
          this.call(`objectVersions.delete ${versions.length}`, () => {
            if (bucket !== this.bucket.name) throw awsError("NoSuchBucket", `no bucket ${bucket}`);
            return this.bucket.delete(versions);
          }),
      },
    };
  }
}
