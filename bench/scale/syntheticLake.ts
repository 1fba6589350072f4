import { Readable } from "node:stream";
import { CompleteMultipartUploadCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { s3Upload } from "../../lib/aws/s3Upload";
import type { SageMakerFeatureStoreRuntimeClient } from "@aws-sdk/client-sagemaker-featurestore-runtime";
import { DATA_LAKE_PREFIXES } from "../../contracts/dataLake";
import { imageIdFromKey, toFeatureValues } from "../../contracts/labelRecord";
import { BATCH_GET_CONCURRENCY, featureStoreLabelStore } from "../../lib/aws/featureStoreLabelStore";
import { ObjectNotFoundError } from "../../lib/errors";
import type { LabelStore, ObjectStore, StoredObject } from "../../lib/ports";
import { labelFor } from "../../test/harness/labels";
import type { Meter } from "./meter";

const DAY_MS = 24 * 3600 * 1000;

/**
 * A data lake of `stored` images generated on demand (nothing is held per image but its id): `images/line-1/<n>.jpg`,
 * one a second; the newest `fresh` have no label, all others an approved one. Every call goes through the meter.
 */
export class SyntheticLake {
  readonly bucket = "qi-bench-lake";
  /** Small objects the handlers wrote (selection, summary), and the size of each written object. */
  readonly written = new Map<string, { body: string | undefined; bytes: number }>();
  private ids?: Map<string, number>;

  constructor(
    readonly stored: number,
    readonly fresh: number,
    readonly meter: Meter,
    readonly epoch = Date.parse("2026-01-01T00:00:00Z") - stored * 1000 - DAY_MS,
  ) {}

  key(n: number): string {
    return `images/line-1/${String(n).padStart(9, "0")}.jpg`;
  }
  lastModified(n: number): Date {
    return new Date(this.epoch + n * 1000);
  }
  /** Whether the new images have their labels by now: they do when BuildDataset runs after this run's labeling. */
  freshLabeled = false;

  isLabeled(n: number): boolean {
    return this.freshLabeled || n < this.stored - this.fresh;
  }
  /** Image number of an image id (built on first use: only the scan-everything path needs it). */
  numberOf(imageId: string): number | undefined {
    if (!this.ids) {
      this.ids = new Map();
      for (let n = 0; n < this.stored; n++) this.ids.set(imageIdFromKey(this.key(n)), n);
    }
    return this.ids.get(imageId);
  }

  objects(): ObjectStore {
    const { meter, written } = this;
    const keysUnder = (prefix: string) => this.keysUnder(prefix);
    return {
      bucket: this.bucket,
      async *list(prefix: string): AsyncIterable<StoredObject> {
        // The generated keys, or what the handlers wrote (a labeling job's selection).
        const generated = keysUnder(prefix);
        const keys =
          generated.length > 0
            ? generated
            : [...written.keys()]
                .filter((key) => key.startsWith(prefix))
                .sort()
                .map((key) => ({ key, lastModified: new Date() }));
        for (let i = 0; i < keys.length; i += 1000) {
          meter.call("s3:ListObjectsV2", { items: Math.min(1000, keys.length - i) });
          for (const { key, lastModified } of keys.slice(i, i + 1000)) yield { key, size: 50_000, lastModified };
        }
        if (keys.length === 0) meter.call("s3:ListObjectsV2");
      },
      async read(key: string) {
        const object = written.get(key);
        if (object?.body === undefined) throw new ObjectNotFoundError(key);
        meter.call("s3:GetObject", { bytes: object.bytes });
        return Readable.from([object.body]);
      },
      async write(key: string, body: string | Uint8Array) {
        const bytes = typeof body === "string" ? Buffer.byteLength(body) : body.length;
        meter.call("s3:PutObject", { bytes });
        written.set(key, { body: bytes < 1e6 ? String(body) : undefined, bytes });
      },
      // The real multipart upload over a client that meters each request: S3 bills every one as a PUT.
      upload(key: string, contentType: string) {
        let bytes = 0;
        const client = {
          send: async (command: { input: { Body?: Uint8Array } }) => {
            const body = command.input.Body?.length ?? 0;
            meter.call("s3:PutObject", { bytes: body });
            bytes += body;
            if (command instanceof CompleteMultipartUploadCommand || command instanceof PutObjectCommand) {
              written.set(key, { body: undefined, bytes });
            }
            return { UploadId: "bench-upload", ETag: `"${bytes}"` };
          },
        };
        return s3Upload(client as unknown as Pick<S3Client, "send">, { bucket: "bench", key, contentType });
      },
      async head(key: string) {
        const object = written.get(key);
        return object && { key, size: object.bytes, lastModified: new Date() };
      },
      async delete(keys: readonly string[]) {
        for (let i = 0; i < keys.length; i += 1000) meter.call("s3:DeleteObjects");
        for (const key of keys) written.delete(key);
      },
      async copy() {
        throw new Error("the scale bench does not copy objects");
      },
    };
  }

  /**
   * Keys under a prefix, generated: the stored images under `images/`, and under `pending/` the markers of the new
   * ones (the pending index as the new-images function leaves it).
   */
  protected keysUnder(prefix: string): { key: string; lastModified: Date }[] {
    const keys: { key: string; lastModified: Date }[] = [];
    const pending = DATA_LAKE_PREFIXES.pending;
    if (prefix.startsWith(pending)) {
      for (let n = this.stored - this.fresh; n < this.stored; n++) {
        keys.push({ key: `${pending}${this.key(n)}`, lastModified: this.lastModified(n) });
      }
    } else if (prefix.startsWith(DATA_LAKE_PREFIXES.images)) {
      for (let n = 0; n < this.stored; n++) keys.push({ key: this.key(n), lastModified: this.lastModified(n) });
    }
    return keys.filter(({ key }) => key.startsWith(prefix));
  }

  /** The real Feature Store adapter over a client that answers from the generated labels. */
  labels(): LabelStore {
    const client = {
      send: async (command: { input: { Identifiers: { RecordIdentifiersValueAsString: string[] }[] } }) => {
        const ids = command.input.Identifiers[0].RecordIdentifiersValueAsString;
        this.meter.call("featurestore:BatchGetRecord", { items: ids.length, inFlight: BATCH_GET_CONCURRENCY });
        const records = ids.flatMap((id) => {
          const n = this.numberOf(id);
          if (n === undefined || !this.isLabeled(n)) return [];
          return [{ RecordIdentifierValueAsString: id, Record: toFeatureValues(labelFor(this.key(n))) }];
        });
        return { Records: records, Errors: [], UnprocessedIdentifiers: [] };
      },
    } as unknown as SageMakerFeatureStoreRuntimeClient;
    return featureStoreLabelStore(client, "qi-bench-labels");
  }
}
