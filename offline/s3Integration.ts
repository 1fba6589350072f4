import { z } from "zod";
import type { ObjectStore } from "../lib/ports";
import { parseRequest, ServiceError } from "./serviceError";

export const PUT_OBJECT = "arn:aws:states:::aws-sdk:s3:putObject";

const putObjectSchema = z.looseObject({
  Bucket: z.string().min(1),
  Key: z.string().min(1),
  Body: z.unknown(),
  ContentType: z.string().optional(),
});

/**
 * What an `aws-sdk:s3:putObject` Task writes, on a local data lake. Step Functions writes an object Body that is JSON
 * as its JSON text, so this does too.
 */
export async function writeRequestedObject(
  objects: ObjectStore,
  input: unknown,
): Promise<{ key: string; body: string }> {
  const request = parseRequest(putObjectSchema, input, "S3.InvalidRequest", "PutObject");
  if (request.Bucket !== objects.bucket) {
    throw new ServiceError("S3.NoSuchBucket", `PutObject: the local data lake is ${objects.bucket}`);
  }
  const body = typeof request.Body === "string" ? request.Body : JSON.stringify(request.Body);
  await objects.write(request.Key, body, request.ContentType ?? "application/octet-stream");
  return { key: request.Key, body };
}

/** The state machine's `aws-sdk:s3:putObject` Task on a local data lake. */
export function putObjectLocally(objects: ObjectStore) {
  return async (input: unknown) => {
    const { body } = await writeRequestedObject(objects, input);
    return { ETag: `"local-${body.length}"` };
  };
}
