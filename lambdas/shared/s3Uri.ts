import { InvalidEventError } from "./errors";

export function s3Uri(bucket: string, key: string): string {
  return `s3://${bucket}/${key}`;
}

/** `s3://bucket/key` → its parts; anything else is a bad event. */
export function parseS3Uri(uri: string): { bucket: string; key: string } {
  const match = /^s3:\/\/([^/]+)\/(.*)$/.exec(uri);
  if (!match) throw new InvalidEventError(`${uri} is not an s3://bucket/key URI`);
  return { bucket: match[1], key: match[2] };
}

/** The key of a URI that must point into the given bucket (the data lake). */
export function keyInBucket(uri: string, bucket: string): string {
  const parsed = parseS3Uri(uri);
  if (parsed.bucket !== bucket) throw new InvalidEventError(`${uri} is not in the data lake bucket ${bucket}`);
  return parsed.key;
}
