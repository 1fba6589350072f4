import { DatasetRecord, LabelsHasher, Split, SPLITS } from "../../contracts/dataset";
import type { ObjectStore, ObjectUpload } from "../../lib/ports";
import { s3Uri } from "../../lib/s3Uri";
import { datasetKeys } from "../shared/datasets";

type PerSplit<T> = Record<Split, T>;

/** Text gathered into writes of about this many characters: one small write per record would be slow. */
const BATCH_CHARS = 1024 * 1024;

/** An upload fed text in batches. */
class BatchedText {
  private pending: string[];
  private chars: number;

  /** `opening`: the text the object starts with. */
  constructor(
    readonly upload: ObjectUpload,
    opening = "",
  ) {
    this.pending = [opening];
    this.chars = opening.length;
  }

  async add(text: string): Promise<void> {
    this.pending.push(text);
    this.chars += text.length;
    if (this.chars >= BATCH_CHARS) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.chars > 0) await this.upload.write(this.pending.join(""));
    [this.pending, this.chars] = [[], 0];
  }
}

/**
 * Writes a dataset as its records arrive, ordered by image id: per split the `annotations.jsonl` and the SageMaker
 * ManifestFile (the prefix, the annotations file, then the images in place), each as an upload, while counting images
 * and boxes and hashing the labels. Memory stays a few batches, whatever the dataset's size; nothing is stored until
 * `close`, and `abort` leaves the data lake as it was.
 */
export class DatasetWriter {
  readonly counts: PerSplit<number> = { train: 0, validation: 0, test: 0 };
  readonly boxes: PerSplit<number> = { train: 0, validation: 0, test: 0 };
  /** The S3 URI of each split's ManifestFile. */
  readonly channels: PerSplit<string>;
  private readonly hash = new LabelsHasher();
  private readonly annotations: PerSplit<BatchedText>;
  private readonly manifests: PerSplit<BatchedText>;

  constructor(objects: ObjectStore, datasetId: string) {
    const paths = datasetKeys(datasetId);
    const open = (key: string, type: string, opening?: string) => new BatchedText(objects.upload(key, type), opening);
    const perSplit = <T>(make: (split: Split) => T) =>
      Object.fromEntries(SPLITS.map((split) => [split, make(split)])) as PerSplit<T>;
    this.annotations = perSplit((split) => open(paths.annotations(split), "application/jsonlines"));
    // ManifestFile: the prefix, then keys relative to it; SageMaker downloads each under the channel directory.
    const prefix = JSON.stringify({ prefix: s3Uri(objects.bucket, "") });
    this.manifests = perSplit((split) =>
      open(paths.channelManifest(split), "application/json", `[${prefix},${JSON.stringify(paths.annotations(split))}`),
    );
    this.channels = perSplit((split) => s3Uri(objects.bucket, paths.channelManifest(split)));
  }

  async add(record: DatasetRecord, split: Split): Promise<void> {
    this.hash.add(record);
    this.counts[split] += 1;
    this.boxes[split] += record.annotations.length;
    await this.annotations[split].add(`${JSON.stringify(record)}\n`);
    await this.manifests[split].add(`,${JSON.stringify(record.image)}`);
  }

  /** Stores every file; returns the labels' hash. */
  async close(): Promise<string> {
    for (const split of SPLITS) {
      await this.manifests[split].add("]");
      for (const file of [this.annotations[split], this.manifests[split]]) {
        await file.flush();
        await file.upload.close();
      }
    }
    return this.hash.digest();
  }

  async abort(): Promise<void> {
    for (const split of SPLITS) {
      await Promise.all([this.annotations[split].upload.abort(), this.manifests[split].upload.abort()]);
    }
  }
}
