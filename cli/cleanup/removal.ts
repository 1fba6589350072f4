import type { CleanupIo } from "./discovery";
import { CleanupItem, ItemResult } from "./items";
import { eachVersionPage, explainFailure, isGone, nameOf, retrying } from "./serviceCalls";

/** Recorded in each execution cleanup stops. */
const STOPPED_BY_CLEANUP = { error: "StoppedByCleanup", cause: "the stack's run-time resources are being cleaned up" };

/** Removes one item. A resource already gone counts as removed by someone else, not as a failure. */
export async function removeItem(item: CleanupItem, io: CleanupIo): Promise<ItemResult> {
  const { ports, sleep } = io;
  const call = <T>(send: () => Promise<T>) => retrying(send, sleep);
  try {
    switch (item.kind) {
      case "execution":
        await call(() => ports.executions.stop(item.id, STOPPED_BY_CLEANUP));
        break;
      case "labeling-job":
      case "training-job":
      case "compilation-job": {
        const kind = item.kind;
        try {
          await call(() => ports.jobs.stop(kind, item.id));
        } catch (error) {
          // A job that ended since it was listed is refused with a ValidationException about its status.
          if (nameOf(error) === "ValidationException" && !isGone(error)) {
            return { ...item, outcome: "gone", message: "no longer running" };
          }
          throw error;
        }
        break;
      }
      case "deployment":
        if (item.action === "cancel and delete") {
          try {
            await call(() => ports.deployments.cancel(item.id));
          } catch (error) {
            // Conflict: no longer active (replaced or cancelled meanwhile), which is what cancelling wants.
            if (isGone(error)) return { ...item, outcome: "gone" };
            if (nameOf(error) !== "ConflictException") {
              return { ...item, outcome: "failed", message: explainFailure(error), stillActive: true };
            }
          }
        }
        await call(() => ports.deployments.delete(item.id));
        break;
      case "component-version":
        await call(() => ports.components.deleteVersion(item.id));
        break;
      case "core-device":
        await call(() => ports.coreDevices.delete(item.id));
        break;
      case "model-package":
        await call(() => ports.modelPackages.delete(item.id));
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

/** Empties the bucket, every version and delete marker, a page at a time, reporting progress after each. */
async function deleteAllVersions(item: CleanupItem, io: CleanupIo): Promise<ItemResult> {
  const { objectVersions } = io.ports;
  let deleted = 0;
  const errors: string[] = [];
  await eachVersionPage(objectVersions, item.id, io.sleep, async (batch) => {
    const failed = await retrying(() => objectVersions.delete(item.id, batch), io.sleep);
    deleted += batch.length - failed.length;
    errors.push(...failed.map((e) => `${e.key}: ${e.code} ${e.message ?? ""}`.trim()));
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
