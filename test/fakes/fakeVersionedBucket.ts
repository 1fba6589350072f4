import { DeleteObjectsCommand, ListObjectVersionsCommand, S3Client } from "@aws-sdk/client-s3";
import type { AwsClientStub } from "aws-sdk-client-mock";
import { awsError } from "./fakeGreengrass";
import { MemoryBucket } from "./memoryCleanup";

type SdkVersion = { Key: string; VersionId: string };

/**
 * The in-memory versioned bucket behind the SDK's ListObjectVersions and DeleteObjects (S3 is REST-XML;
 * aws-sdk-client-mock stands in): the same listing order, pages and refusals, in S3's request and response shapes.
 */
export class FakeBucket extends MemoryBucket {
  readonly calls: string[] = [];

  install(stub: AwsClientStub<S3Client>): void {
    stub.on(ListObjectVersionsCommand as never).callsFake(async (input: Record<string, string | undefined>) => {
      this.calls.push("ListObjectVersions");
      if (input.Bucket !== this.name) throw awsError("NoSuchBucket", `no bucket ${input.Bucket}`);
      const after = input.KeyMarker ? { key: input.KeyMarker, versionId: input.VersionIdMarker } : undefined;
      const { entries, next } = this.entriesAfter(after);
      const listed = (deleteMarker: boolean) =>
        entries.filter((e) => e.deleteMarker === deleteMarker).map((e) => ({ Key: e.key, VersionId: e.versionId }));
      return {
        Versions: listed(false),
        DeleteMarkers: listed(true),
        IsTruncated: next !== undefined,
        NextKeyMarker: next?.key,
        NextVersionIdMarker: next?.versionId,
      };
    });
    stub
      .on(DeleteObjectsCommand as never)
      .callsFake(async (input: { Bucket: string; Delete: { Objects: SdkVersion[] } }) => {
        const objects = input.Delete.Objects;
        this.calls.push(`DeleteObjects ${objects.length}`);
        const failures = this.delete(objects.map((o) => ({ key: o.Key, versionId: o.VersionId })));
        // The bucket refuses by key: each version of a refused key is one of S3's Errors.
        const refused = new Map(failures.map((f) => [f.key, f]));
        const Errors = objects
          .filter((object) => refused.has(object.Key))
          .map((object) => ({
            ...object,
            Code: refused.get(object.Key)!.code,
            Message: refused.get(object.Key)!.message,
          }));
        return { Errors };
      });
  }
}
