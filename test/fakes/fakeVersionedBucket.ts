import { DeleteObjectsCommand, ListObjectVersionsCommand, S3Client } from "@aws-sdk/client-s3";
import type { AwsClientStub } from "aws-sdk-client-mock";
import { awsError } from "./fakeGreengrass";

/** The versions and delete markers of one versioned bucket (S3 is REST-XML; aws-sdk-client-mock stands in). */
export class FakeBucket {
  /** Every version and delete marker, in S3's listing order (key, then newest first). */
  readonly entries: { Key: string; VersionId: string; deleteMarker: boolean }[] = [];
  readonly calls: string[] = [];
  /** Keys DeleteObjects refuses (AccessDenied), e.g. under a protected prefix. */
  refuse = (_key: string) => false;
  pageSize = 3;
  private readonly order = new Map<string, number>();

  constructor(readonly name: string) {}

  put(key: string, versions = 1, deleteMarker = false): this {
    for (let i = 0; i < versions; i++) this.add(key, false);
    if (deleteMarker) this.add(key, true);
    return this;
  }

  private add(Key: string, deleteMarker: boolean) {
    const VersionId = `v${this.order.size + 1}`;
    this.order.set(VersionId, this.order.size);
    this.entries.push({ Key, VersionId, deleteMarker });
    this.entries.sort(
      (a, b) => a.Key.localeCompare(b.Key) || this.order.get(b.VersionId)! - this.order.get(a.VersionId)!,
    );
  }

  /** Position in listing order, also of an entry deleted since (markers name where the last page ended). */
  private rank(Key: string, VersionId: string): [string, number] {
    return [Key, -this.order.get(VersionId)!];
  }

  install(stub: AwsClientStub<S3Client>): void {
    stub.on(ListObjectVersionsCommand as never).callsFake(async (input: Record<string, string | undefined>) => {
      this.calls.push("ListObjectVersions");
      if (input.Bucket !== this.name) throw awsError("NoSuchBucket", `no bucket ${input.Bucket}`);
      const after = input.KeyMarker ? this.rank(input.KeyMarker, input.VersionIdMarker!) : undefined;
      const rest = this.entries.filter((e) => {
        if (!after) return true;
        const [key, rank] = this.rank(e.Key, e.VersionId);
        return key > after[0] || (key === after[0] && rank > after[1]);
      });
      const page = rest.slice(0, this.pageSize);
      const last = page.at(-1);
      const truncated = rest.length > page.length;
      return {
        Versions: page.filter((e) => !e.deleteMarker).map(({ Key, VersionId }) => ({ Key, VersionId })),
        DeleteMarkers: page.filter((e) => e.deleteMarker).map(({ Key, VersionId }) => ({ Key, VersionId })),
        IsTruncated: truncated,
        NextKeyMarker: truncated ? last!.Key : undefined,
        NextVersionIdMarker: truncated ? last!.VersionId : undefined,
      };
    });
    stub
      .on(DeleteObjectsCommand as never)
      .callsFake(async (input: { Bucket: string; Delete: { Objects: { Key: string; VersionId: string }[] } }) => {
        this.calls.push(`DeleteObjects ${input.Delete.Objects.length}`);
        const Errors: { Key: string; VersionId: string; Code: string; Message: string }[] = [];
        for (const object of input.Delete.Objects) {
          if (this.refuse(object.Key)) {
            Errors.push({ ...object, Code: "AccessDenied", Message: "Access Denied" });
            continue;
          }
          const index = this.entries.findIndex((e) => e.Key === object.Key && e.VersionId === object.VersionId);
          if (index >= 0) this.entries.splice(index, 1);
        }
        return { Errors };
      });
  }
}
