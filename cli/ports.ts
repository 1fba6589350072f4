/**
 * The services `pipeline cleanup` lists and removes things in, as small interfaces. `cli/aws/cleanupPorts.ts`
 * implements them with the AWS SDK; the tests implement them in memory. The cleanup logic (cli/cleanup/) depends on
 * these interfaces only.
 *
 * Lists come a page at a time, so that cleanup retries each page on its own while AWS throttles. Errors are the
 * services' own, passed on as thrown: cleanup reads their `name` (ThrottlingException, ResourceNotFoundException,
 * ValidationException, ConflictException, AccessDeniedException, …) and message to tell throttling, "already gone"
 * and refusals apart (cli/cleanup/serviceCalls.ts).
 */

/** One page of a list; `nextToken`, when set, asks for the next one. */
export interface Page<T> {
  items: T[];
  nextToken?: string;
}

export interface ExecutionRef {
  arn: string;
  name: string;
}

/** Step Functions executions of the pipeline's state machine. */
export interface StateMachineExecutions {
  /** The state machine's RUNNING executions. */
  listRunning(stateMachineArn: string, nextToken?: string): Promise<Page<ExecutionRef>>;
  /** Stops an execution, recording `error` and `cause` in it. */
  stop(executionArn: string, reason: { error: string; cause: string }): Promise<void>;
}

export type JobKind = "labeling-job" | "training-job" | "compilation-job";

export interface JobSummary {
  name: string;
  arn: string;
  /** As SageMaker spells it for the kind: `InProgress`, or `STARTING`/`INPROGRESS` for compilation jobs. */
  status: string;
}

/** SageMaker labeling, training and compilation jobs. */
export interface SageMakerJobs {
  /**
   * Jobs of a kind whose name contains `nameContains`. The list may hold jobs that are not running (SageMaker filters
   * compilation jobs by one status only, and two mean running): callers check `status`.
   */
  list(kind: JobKind, nameContains: string, nextToken?: string): Promise<Page<JobSummary>>;
  /** A job's tags, by key. */
  tags(jobArn: string): Promise<Record<string, string>>;
  /** Stops a running job; a job that has ended is refused with a ValidationException. */
  stop(kind: JobKind, name: string): Promise<void>;
}

export interface ModelPackageSummary {
  arn: string;
  group: string;
  version?: number;
  /** Approved, Rejected or PendingManualApproval. */
  approval?: string;
}

/** The SageMaker model registry. */
export interface ModelPackages {
  /** The packages of a model package group. */
  list(group: string, nextToken?: string): Promise<Page<ModelPackageSummary>>;
  delete(arn: string): Promise<void>;
}

export interface DeploymentSummary {
  id: string;
  name?: string;
  /** The thing or thing group it deploys to. */
  targetArn?: string;
  /** ACTIVE, CANCELED, COMPLETED, FAILED or INACTIVE. */
  status?: string;
}

/** Greengrass deployments. */
export interface Deployments {
  /** Every deployment, each target's earlier revisions included. */
  list(nextToken?: string): Promise<Page<DeploymentSummary>>;
  /** Cancels an active deployment; one no longer active is refused with a ConflictException. */
  cancel(id: string): Promise<void>;
  /** Deletes a deployment that is not active. */
  delete(id: string): Promise<void>;
}

export interface ComponentSummary {
  name: string;
  arn: string;
}

export interface ComponentVersionSummary {
  arn: string;
  version: string;
}

/** Greengrass components of the account (not AWS's public ones). */
export interface Components {
  list(nextToken?: string): Promise<Page<ComponentSummary>>;
  versions(componentArn: string, nextToken?: string): Promise<Page<ComponentVersionSummary>>;
  deleteVersion(versionArn: string): Promise<void>;
}

/** Greengrass core device records. */
export interface CoreDevices {
  /** False when Greengrass has no record of the device: its nucleus has never connected. */
  exists(thingName: string): Promise<boolean>;
  delete(thingName: string): Promise<void>;
}

export interface ObjectVersion {
  key: string;
  versionId?: string;
}

/** Where the next page of object versions starts. */
export interface VersionMarker {
  key: string;
  versionId?: string;
}

export interface DeleteFailure {
  key: string;
  code?: string;
  message?: string;
}

/** The object versions and delete markers of a versioned S3 bucket. */
export interface ObjectVersions {
  /** A page (at most 1000) of versions and delete markers in S3's order; `next` is where the next page starts. */
  list(bucket: string, after?: VersionMarker): Promise<{ items: ObjectVersion[]; next?: VersionMarker }>;
  /** Deletes up to 1000 versions at once; returns those S3 refused to delete. */
  delete(bucket: string, versions: ObjectVersion[]): Promise<DeleteFailure[]>;
}

/** Everything cleanup talks to, in one region. */
export interface CleanupPorts {
  executions: StateMachineExecutions;
  jobs: SageMakerJobs;
  modelPackages: ModelPackages;
  deployments: Deployments;
  components: Components;
  coreDevices: CoreDevices;
  objectVersions: ObjectVersions;
}
