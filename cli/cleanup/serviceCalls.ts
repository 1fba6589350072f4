import type { ObjectVersion, ObjectVersions, Page } from "../ports";
import { allPages } from "../pages";

// How cleanup calls the services: each call (each page of a list) retried with back-off while AWS throttles, and
// what their errors mean: "already gone" is success, the rest is explained in a line. The errors are the AWS
// services' own (cli/ports.ts), told apart by name.

export const nameOf = (error: unknown) => (error as { name?: string }).name ?? "Error";
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

export type Sleep = (ms: number) => Promise<void>;

/** Retries beyond the SDK's own attempts, with back-off, while AWS throttles (listing loops make many calls). */
const THROTTLED_RETRIES = 5;
export async function retrying<T>(call: () => Promise<T>, sleep: Sleep): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (!isThrottling(error) || attempt > THROTTLED_RETRIES) throw error;
      await sleep(Math.min(1000 * 2 ** (attempt - 1), 20_000));
    }
  }
}

/** Every item of a paged list, each page retried on its own while throttled. */
export function everyPage<T>(list: (nextToken?: string) => Promise<Page<T>>, sleep: Sleep): Promise<T[]> {
  return allPages((nextToken) => retrying(() => list(nextToken), sleep));
}

/** Walks every object version and delete marker of a bucket, a page (at most 1000) at a time. */
export async function eachVersionPage(
  objectVersions: ObjectVersions,
  bucket: string,
  sleep: Sleep,
  each: (batch: ObjectVersion[]) => Promise<void>,
): Promise<void> {
  let after: Awaited<ReturnType<ObjectVersions["list"]>>["next"];
  do {
    const page = await retrying(() => objectVersions.list(bucket, after), sleep);
    if (page.items.length > 0) await each(page.items);
    after = page.next;
  } while (after !== undefined);
}
