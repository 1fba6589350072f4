import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import type { ObjectUpload } from "../ports";

/** S3's parts are 5 MiB at least (the last aside); 8 MiB parts reach 80 GB within its 10,000 parts. */
export const PART_BYTES = 8 * 1024 * 1024;

/**
 * An object written piece by piece: parts of `partBytes` go up as a multipart upload while the rest is written; an
 * object that never fills a part is one PutObject. At most one part is held in memory.
 */
export function s3Upload(
  client: Pick<S3Client, "send">,
  target: { bucket: string; key: string; contentType: string },
  partBytes = PART_BYTES,
): ObjectUpload {
  const { bucket: Bucket, key: Key, contentType: ContentType } = target;
  let held: Buffer[] = [];
  let heldBytes = 0;
  let uploadId: string | undefined;
  const parts: { PartNumber: number; ETag: string }[] = [];
  let ended = false;

  const sendPart = async () => {
    uploadId ??= (await client.send(new CreateMultipartUploadCommand({ Bucket, Key, ContentType }))).UploadId;
    const PartNumber = parts.length + 1;
    const body = Buffer.concat(held);
    [held, heldBytes] = [[], 0];
    const { ETag } = await client.send(
      new UploadPartCommand({ Bucket, Key, UploadId: uploadId, PartNumber, Body: body }),
    );
    if (!ETag) throw new Error(`S3 returned no ETag for part ${PartNumber} of ${Key}`);
    parts.push({ PartNumber, ETag });
  };
  const mustBeOpen = () => {
    if (ended) throw new Error(`the upload of ${Key} has ended`);
  };

  return {
    async write(bytes) {
      mustBeOpen();
      const buffer = Buffer.from(bytes);
      held.push(buffer);
      heldBytes += buffer.length;
      if (heldBytes >= partBytes) await sendPart();
    },
    async close() {
      mustBeOpen();
      ended = true;
      if (uploadId === undefined) {
        await client.send(new PutObjectCommand({ Bucket, Key, ContentType, Body: Buffer.concat(held) }));
        return;
      }
      if (heldBytes > 0) await sendPart();
      await client.send(
        new CompleteMultipartUploadCommand({ Bucket, Key, UploadId: uploadId, MultipartUpload: { Parts: parts } }),
      );
    },
    async abort() {
      ended = true;
      held = [];
      // Parts left behind would be billed until the bucket's lifecycle rule removes them.
      if (uploadId !== undefined)
        await client.send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId: uploadId }));
    },
  };
}
