import type { LabelingBatch } from "../../contracts/labelingBatch";
import { labelingJobKeys } from "../../lib/labeling";
import type { TaskCallbacks } from "../../lib/ports";
import { s3Uri } from "../../lib/s3Uri";
import type { MemoryObjectStore } from "../fakes/memoryPorts";
import { gradientJpeg } from "./images";

/** Writes what PrepareLabelingJob and LabelImages write for a batch of `count` images; returns the batch. */
export async function writeBatch(
  objects: MemoryObjectStore,
  {
    jobName = "qi-dev-label-1",
    count = 3,
    taskToken = "token-1",
    classes = ["scratch"],
    images,
  }: {
    jobName?: string;
    count?: number;
    taskToken?: string;
    classes?: string[];
    /** The batch's images; without them, `count` generated 90×60 ones. */
    images?: { key: string; bytes: Buffer }[];
  } = {},
): Promise<{ batch: LabelingBatch; imageKeys: string[] }> {
  const keys = labelingJobKeys(jobName);
  const imageKeys: string[] = [];
  for (let i = 0; i < (images?.length ?? count); i++) {
    const key = images?.[i].key ?? `images/line-1/new-${i}.jpg`;
    objects.put(key, images?.[i].bytes ?? (await gradientJpeg(90, 60, { x: 10 + i, y: 10, w: 20, h: 8 })));
    imageKeys.push(key);
  }
  objects.put(
    keys.inputManifest,
    imageKeys.map((k) => `${JSON.stringify({ "source-ref": s3Uri(objects.bucket, k) })}\n`).join(""),
  );
  objects.put(
    keys.categories,
    JSON.stringify({ "document-version": "2018-11-28", labels: classes.map((label) => ({ label })) }),
  );
  const batch: LabelingBatch = {
    taskToken,
    jobName,
    manifestUri: s3Uri(objects.bucket, keys.inputManifest),
    categoriesUri: s3Uri(objects.bucket, keys.categories),
    outputUri: s3Uri(objects.bucket, keys.output),
    execution: "arn:aws:states:eu-west-1:123456789012:execution:qi-dev-pipeline:manual-run-1",
  };
  objects.put(keys.batch, JSON.stringify(batch));
  return { batch, imageKeys };
}

/** Task callbacks that record what the app sent. */
export class RecordingCallbacks implements TaskCallbacks {
  readonly calls: { kind: "succeed" | "fail" | "heartbeat"; token: string; detail?: unknown }[] = [];
  async succeed(token: string, output: unknown) {
    this.calls.push({ kind: "succeed", token, detail: output });
  }
  async fail(token: string, error: string, cause: string) {
    this.calls.push({ kind: "fail", token, detail: { error, cause } });
  }
  async heartbeat(token: string) {
    this.calls.push({ kind: "heartbeat", token });
  }
}
