import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/**
 * Heap bytes in use after a full collection: what is held, not garbage not yet collected. Tests that assert bounded
 * memory sample it while the work runs.
 */
export function heldHeapBytes(): number {
  setFlagsFromString("--expose-gc");
  (runInNewContext("gc") as () => void)();
  return process.memoryUsage().heapUsed;
}
