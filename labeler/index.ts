import type { AddressInfo } from "node:net";
import type { ObjectStore, TaskCallbacks } from "../lib/ports";
import { BatchSession } from "./src/batch";
import { createLabelerServer } from "./src/http";
import { blankPredrawer, Predrawer } from "./src/predraw";
import type { VersionedObjects } from "./src/versionedObjects";

export { BatchSession } from "./src/batch";
export { LocalVersionedObjects } from "./src/versionedObjects";
export { blankPredrawer, modelPredrawer } from "./src/predraw";

export interface LabelerDeps {
  objects: ObjectStore;
  versioned: VersionedObjects;
  callbacks: TaskCallbacks;
  predrawer?: Predrawer;
  now?: () => number;
}

export interface LabelerSettings {
  /** The labeling job whose batch to label (its batch file is `labeling/<job>/batch.json`). */
  job: string;
  labeler: string;
  claimSeconds?: number;
  port?: number;
  host?: string;
}

export interface Labeler {
  /** Where the page is, e.g. `http://127.0.0.1:8090/`. */
  url: string;
  session: BatchSession;
  close(): Promise<void>;
}

/**
 * Starts the labeling app on a batch: reads the batch the state machine wrote, then serves the page. The same code
 * runs against AWS (`main.ts`: S3, S3 conditional writes, Step Functions) and on one machine (the offline run, tests).
 */
export async function startLabeler(settings: LabelerSettings, deps: LabelerDeps): Promise<Labeler> {
  const session = await BatchSession.open(
    { ...deps, ...(settings.claimSeconds ? { claimSeconds: settings.claimSeconds } : {}) },
    BatchSession.batchKeyOf(settings.job),
  );
  const server = createLabelerServer({
    session,
    predrawer: deps.predrawer ?? blankPredrawer,
    labeler: settings.labeler,
  });
  const host = settings.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(settings.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}/`,
    session,
    // Answers in flight (the last save, which ended the batch) finish first; open pages get a second.
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const force = setTimeout(() => server.closeAllConnections(), 1000);
      await closed;
      clearTimeout(force);
    },
  };
}
