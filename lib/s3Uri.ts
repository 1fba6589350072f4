import { InvalidEventError } from "./errors";

export function s3Uri(bucket: string, key: string): string {
  return `s3://${bucket}/${key}`;
}

/** `s3://bucket/key` → its parts; anything else is a bad event. */
export function parseS3Uri(uri: string): { bucket: string; key: string } {
  const location = s3Location(uri);
  if (!location) throw new InvalidEventError(`${uri} is not an s3://bucket/key URI`);
  return location;
}

/** Bucket and key of an `s3://bucket/key` URI, or undefined when the text is not one (for data, not events). */
export function s3Location(uri: string): { bucket: string; key: string } | undefined {
  const match = /^s3:\/\/([^/]+)\/(.*)$/.exec(uri);
  return match ? { bucket: match[1], key: match[2] } : undefined;
}

/** The key of a URI that must point into the given bucket (the data lake). */
export function keyInBucket(uri: string, bucket: string): string {
  const parsed = parseS3Uri(uri);
  if (parsed.bucket !== bucket) throw new InvalidEventError(`${uri} is not in the data lake bucket ${bucket}`);
  return parsed.key;
}
