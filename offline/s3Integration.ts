import { z } from "zod";
import type { ObjectStore } from "../lib/ports";

const putObjectSchema = z.looseObject({
  Bucket: z.string().min(1),
  Key: z.string().min(1),
  Body: z.unknown(),
  ContentType: z.string().optional(),
});

/**
 * The state machine's `aws-sdk:s3:putObject` Task on a local data lake. Step Functions writes an object Body as its
 * JSON text, so this does too.
 */
export function putObjectLocally(objects: ObjectStore) {
  return async (request: unknown) => {
    const { Bucket, Key, Body, ContentType } = putObjectSchema.parse(request);
    if (Bucket !== objects.bucket) throw new Error(`putObject to bucket ${Bucket}; the data lake is ${objects.bucket}`);
    const body = typeof Body === "string" ? Body : JSON.stringify(Body);
    await objects.write(Key, body, ContentType ?? "application/octet-stream");
    return { ETag: `"local-${body.length}"` };
  };
}
