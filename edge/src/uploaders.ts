import { promises as fs } from "node:fs";
import path from "node:path";
import { PutObjectCommand, S3Client, S3ClientConfig } from "@aws-sdk/client-s3";
import { writeAtomically } from "./files";

/** One image for the data lake: its key (contracts/dataLake.ts `deviceImageKey`), bytes and metadata. */
export interface ImageUpload {
  key: string;
  body: Buffer;
  contentType: string;
  /** S3 user metadata (`x-amz-meta-<name>`): lower-case names, ASCII values. */
  metadata: Record<string, string>;
}

/** Stores images in the data lake. `put` resolves once the image is stored; storing the same key again overwrites. */
export interface ImageUploader {
  /** Where images go, for the log: `s3://<bucket>` or the folder. */
  readonly target: string;
  put(upload: ImageUpload): Promise<void>;
  close(): void;
}

export interface S3UploaderOptions {
  bucket: string;
  region: string;
  /** An S3-compatible endpoint (path-style requests); default AWS's regional endpoint. */
  endpoint?: URL;
  /**
   * Default: the SDK's credential chain. On a Greengrass device that is the container credentials provider, which
   * reads the token exchange service's `AWS_CONTAINER_CREDENTIALS_FULL_URI` and `AWS_CONTAINER_AUTHORIZATION_TOKEN`.
   */
  credentials?: S3ClientConfig["credentials"];
  /** An upload that takes longer fails and is retried; default 120 s. */
  requestTimeoutMs?: number;
}

/** PutObject with the AWS SDK v3. */
export class S3ImageUploader implements ImageUploader {
  readonly target: string;
  private readonly client: S3Client;
  private readonly closing = new AbortController();

  constructor(private readonly options: S3UploaderOptions) {
    this.target = `s3://${options.bucket}`;
    this.client = new S3Client({
      region: options.region,
      endpoint: options.endpoint?.href,
      forcePathStyle: options.endpoint !== undefined,
      credentials: options.credentials,
      // The outbox retries with its own backoff and keeps the image meanwhile; one attempt per delivery is enough.
      maxAttempts: 1,
      // A stalled connection must fail (the SDK only warns about a request timeout unless told to throw), so the
      // courier retries instead of waiting forever.
      requestHandler: {
        connectionTimeout: 10_000,
        socketTimeout: 30_000,
        requestTimeout: options.requestTimeoutMs ?? 120_000,
        throwOnRequestTimeout: true,
      },
    });
  }

  async put({ key, body, contentType, metadata }: ImageUpload): Promise<void> {
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.options.bucket,
          Key: key,
          Body: body,
          ContentType: contentType,
          Metadata: metadata,
        }),
        { abortSignal: this.closing.signal },
      );
    } catch (error) {
      const { name, message } = error as Error;
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      throw new Error(
        `PutObject ${this.target}/${key} failed: ${name}${status ? ` (HTTP ${status})` : ""}: ${message}`,
        { cause: error },
      );
    }
  }

  /** Aborts an upload in flight; the outbox keeps its image. */
  close(): void {
    this.closing.abort();
    this.client.destroy();
  }
}

/**
 * A local data lake folder with the same key layout: `<root>/<key>` holds the image, `<root>/<key>.metadata.json` its
 * metadata. Both are written to a temporary name and renamed, metadata first, so an image that is there is whole and
 * has its metadata.
 */
export class FolderImageUploader implements ImageUploader {
  readonly target: string;

  constructor(private readonly root: string) {
    this.target = path.resolve(root);
  }

  async put({ key, body, contentType, metadata }: ImageUpload): Promise<void> {
    const file = path.join(this.root, ...key.split("/"));
    await fs.mkdir(path.dirname(file), { recursive: true });
    await writeAtomically(`${file}.metadata.json`, `${JSON.stringify({ contentType, metadata }, null, 2)}\n`);
    await writeAtomically(file, body);
  }

  close(): void {}
}
