import type { Readable } from "node:stream";
import type { LabelRecord } from "../contracts/labelRecord";

/**
 * The few outside services the Lambdas talk to, as small interfaces. `lambdas/shared/aws/` implements them with the
 * AWS SDK; the tests (and the offline run) implement them in memory or on the local file system. Handlers depend on
 * these interfaces only, so the same handler code runs in AWS and locally.
 */

export interface StoredObject {
  /** Key in the data lake bucket, e.g. `images/line-1/a.jpg`. */
  key: string;
  size: number;
  lastModified: Date;
}

/** The data lake bucket. Keys are relative to the bucket; `bucket` names it for URIs that other services read. */
export interface ObjectStore {
  readonly bucket: string;
  /** Every object under a prefix, in key order, page by page. */
  list(prefix: string): AsyncIterable<StoredObject>;
  /** The object's bytes as a stream; throws `ObjectNotFoundError`. */
  read(key: string): Promise<Readable>;
  write(key: string, body: string | Uint8Array, contentType: string): Promise<void>;
  /** An object written piece by piece, for bodies too large to hold (an S3 multipart upload). */
  upload(key: string, contentType: string): ObjectUpload;
  /** Size and time of an object, or undefined when there is none. */
  head(key: string): Promise<StoredObject | undefined>;
  /** Server-side copy inside the bucket; throws `ObjectNotFoundError`. */
  copy(fromKey: string, toKey: string): Promise<void>;
  /** Deletes objects; keys that do not exist are no error (S3's DeleteObjects). */
  delete(keys: readonly string[]): Promise<void>;
}

/** An object being written piece by piece: nothing is under its key until `close`, and `abort` leaves it so. */
export interface ObjectUpload {
  write(bytes: string | Uint8Array): Promise<void>;
  /** Stores everything written as the object. */
  close(): Promise<void>;
  /** Discards what was written; the key keeps whatever it held before. */
  abort(): Promise<void>;
}

export interface LabelLookup {
  /** Valid records by image id. */
  found: Map<string, LabelRecord>;
  /** Image ids whose stored record does not satisfy the label record contract, with the reason. */
  invalid: Map<string, string>;
}

/** The label store (Feature Store online store): one record per image id. */
export interface LabelStore {
  /** Looks up any number of image ids; ids without a record are in neither map. */
  get(imageIds: readonly string[]): Promise<LabelLookup>;
  /** Writes one record; throws `LabelStoreThrottledError` when the store asks us to slow down. */
  put(record: LabelRecord): Promise<void>;
}

export type ComponentState = "REQUESTED" | "INITIATED" | "DEPLOYABLE" | "FAILED" | "DEPRECATED";

export interface ComponentVersionStatus {
  arn: string;
  state: ComponentState;
  /** Why Greengrass refused the version (for FAILED). */
  message?: string;
}

/** Greengrass component versions. */
export interface ComponentRegistry {
  /** Creates a version from a recipe, with tags; returns undefined when that name and version already exist. */
  create(recipe: string, tags: Record<string, string>): Promise<ComponentVersionStatus | undefined>;
  /** The version's status, or undefined when it does not exist. */
  describe(componentName: string, version: string): Promise<ComponentVersionStatus | undefined>;
}

/** Starts state machine executions by name. */
export interface ExecutionStarter {
  /** `already-started` when an execution with this name exists: the trigger fired twice. */
  start(name: string, input: unknown): Promise<"started" | "already-started">;
}

/** An execution of the pipeline that has not ended. */
export interface RunningExecution {
  name: string;
  /** ISO 8601. */
  startTime: string;
}

/** The executions of a state machine that are running now. */
export interface RunningExecutions {
  list(stateMachineArn: string): Promise<RunningExecution[]>;
}

/** What an ended execution of the pipeline did. */
export interface RunHistory {
  /** Whether the run's failure notice (NotifyFailure) reached the alerts topic. */
  notified(executionArn: string): Promise<boolean>;
}

/** The alerts topic the people who run the pipeline subscribe to. */
export interface Alerts {
  publish(subject: string, message: string): Promise<void>;
}

/** Structured logging (Powertools in AWS); `extra` becomes fields of the log line. */
export interface Log {
  debug(message: string, extra?: Record<string, unknown>): void;
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}

/**
 * Completes Step Functions callback tasks (`.waitForTaskToken`): the task's result, its failure, or a sign of life
 * that resets its HeartbeatSeconds. Errors keep the service's names (`TaskTimedOut`, `TaskDoesNotExist`,
 * `InvalidToken`).
 */
export interface TaskCallbacks {
  succeed(token: string, output: unknown): Promise<void>;
  fail(token: string, error: string, cause: string): Promise<void>;
  heartbeat(token: string): Promise<void>;
}
