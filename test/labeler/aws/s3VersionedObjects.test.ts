import { expect } from "chai";
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import { Readable } from "node:stream";
import { s3VersionedObjects } from "../../../labeler/src/aws/s3VersionedObjects";
import { mockedClient } from "../../fakes/sdkMock";

describe("labeler: S3 conditional writes (SDK mocked)", () => {
  const s3 = mockedClient(() => mockClient(S3Client));
  const objects = () => s3VersionedObjects(new S3Client({}), "qi-test-lake");
  const named = (name: string) => Object.assign(new Error(name), { name });

  it("creates only what is absent (If-None-Match) and replaces only what it read (If-Match)", async () => {
    s3().on(PutObjectCommand).resolves({});
    expect(await objects().putIf("labeling/j/app/claims/a.json", "{}", undefined)).to.equal(true);
    expect(await objects().putIf("labeling/j/app/claims/a.json", "{}", '"etag-1"')).to.equal(true);
    const [create, replace] = s3()
      .commandCalls(PutObjectCommand)
      .map((call) => call.args[0].input);
    expect(create).to.deep.include({ Bucket: "qi-test-lake", Key: "labeling/j/app/claims/a.json", IfNoneMatch: "*" });
    expect(create).to.not.have.property("IfMatch");
    expect(replace).to.deep.include({ IfMatch: '"etag-1"' }).and.not.have.property("IfNoneMatch");
  });

  it("says false when someone wrote first (412) or is writing (409), and passes other errors on", async () => {
    s3().on(PutObjectCommand).rejectsOnce(named("PreconditionFailed")).rejectsOnce(named("ConditionalRequestConflict"));
    expect(await objects().putIf("k", "{}", undefined)).to.equal(false);
    expect(await objects().putIf("k", "{}", '"e"')).to.equal(false);
    s3().on(PutObjectCommand).rejects(named("AccessDenied"));
    const error = await objects()
      .putIf("k", "{}", undefined)
      .catch((e: Error) => e);
    expect((error as Error).name).to.equal("AccessDenied");
  });

  it("reads the text with its ETag as the version, and nothing for a missing key", async () => {
    const body = Readable.from([Buffer.from('{"labeler":"ana"}')]);
    s3()
      .on(GetObjectCommand, { Key: "a" })
      .resolves({ Body: body as never, ETag: '"e1"' });
    s3().on(GetObjectCommand, { Key: "b" }).rejects(named("NoSuchKey"));
    expect(await objects().get("a")).to.deep.equal({ text: '{"labeler":"ana"}', version: '"e1"' });
    expect(await objects().get("b")).to.equal(undefined);
  });
});
