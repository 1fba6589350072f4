import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { Readable } from "node:stream";
import { readAll } from "../../../lib/streams";
import type { VersionedObjects } from "../versionedObjects";

/** S3's answers to a conditional write that lost: someone wrote first (412), or is writing now (409). */
const LOST = new Set(["PreconditionFailed", "ConditionalRequestConflict"]);

/** Conditional writes on S3: If-None-Match "*" creates only what is absent, If-Match replaces only what was read. */
export function s3VersionedObjects(client: S3Client, bucket: string): VersionedObjects {
  return {
    async get(key) {
      try {
        const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        if (!(object.Body instanceof Readable)) throw new Error(`s3 object ${key} has no readable body`);
        return { text: (await readAll(object.Body)).toString("utf8"), version: object.ETag ?? "" };
      } catch (error) {
        if (error instanceof Error && error.name === "NoSuchKey") return undefined;
        throw error;
      }
    },
    async putIf(key, text, version) {
      try {
        await client.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: key,
            Body: text,
            ContentType: "application/json",
            ...(version === undefined ? { IfNoneMatch: "*" } : { IfMatch: version }),
          }),
        );
        return true;
      } catch (error) {
        if (error instanceof Error && LOST.has(error.name)) return false;
        throw error;
      }
    },
  };
}
