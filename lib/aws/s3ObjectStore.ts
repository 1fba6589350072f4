import { Readable } from "node:stream";
import {
  CopyObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { z } from "zod";
import { readEnv } from "../env";
import { ObjectNotFoundError } from "../errors";
import type { ObjectStore, StoredObject } from "../ports";
import { s3Upload } from "./s3Upload";

const isMissing = (error: unknown) =>
  error instanceof Error && (error.name === "NoSuchKey" || error.name === "NotFound");

/** The data lake bucket through the S3 API. */
export function s3ObjectStore(client: S3Client, bucket: string): ObjectStore {
  return {
    bucket,
    async *list(prefix: string): AsyncIterable<StoredObject> {
      let token: string | undefined;
      do {
        const page = await client.send(
          new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
        );
        for (const object of page.Contents ?? []) {
          if (object.Key === undefined) continue;
          yield { key: object.Key, size: object.Size ?? 0, lastModified: object.LastModified ?? new Date(0) };
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    },
    async read(key) {
      try {
        const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        if (!(response.Body instanceof Readable)) throw new Error(`s3 object ${key} has no readable body`);
        return response.Body;
      } catch (error) {
        if (isMissing(error)) throw new ObjectNotFoundError(key);
        throw error;
      }
    },
    async write(key, body, contentType) {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType }));
    },
    upload(key, contentType) {
      return s3Upload(client, { bucket, key, contentType });
    },
    async head(key) {
      try {
        const response = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
        return { key, size: response.ContentLength ?? 0, lastModified: response.LastModified ?? new Date(0) };
      } catch (error) {
        if (isMissing(error)) return undefined;
        throw error;
      }
    },
    async delete(keys) {
      // DeleteObjects takes at most 1,000 keys per call.
      for (let i = 0; i < keys.length; i += 1000) {
        const batch = keys.slice(i, i + 1000).map((Key) => ({ Key }));
        const response = await client.send(
          new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: batch, Quiet: true } }),
        );
        const failed = response.Errors ?? [];
        if (failed.length > 0) {
          throw new Error(`could not delete ${failed.length} objects, e.g. ${failed[0].Key}: ${failed[0].Code}`);
        }
      }
    },
    async copy(fromKey, toKey) {
      const source = `${bucket}/${fromKey.split("/").map(encodeURIComponent).join("/")}`;
      try {
        await client.send(new CopyObjectCommand({ Bucket: bucket, Key: toKey, CopySource: source }));
      } catch (error) {
        if (isMissing(error)) throw new ObjectNotFoundError(fromKey);
        throw error;
      }
    },
  };
}

/** The data lake bucket, named by the function's `BUCKET_NAME`. */
export function dataLakeFromEnv(): ObjectStore {
  const { BUCKET_NAME } = readEnv({ BUCKET_NAME: z.string().min(1) });
  return s3ObjectStore(new S3Client({}), BUCKET_NAME);
}
