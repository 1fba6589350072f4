import { expect } from "chai";
import { Readable } from "node:stream";
import {
  CopyObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
} from "@aws-sdk/client-s3";
import { s3ObjectStore } from "../../lib/aws/s3ObjectStore";
import { readAll } from "../../lib/streams";
import { mockClient } from "aws-sdk-client-mock";
import { mockedClient } from "../fakes/sdkMock";
import { failureOf } from "../harness/failure";

describe("the S3 object store adapter (SDK mocked)", () => {
  const s3 = mockedClient(() => mockClient(S3Client));
  const store = () => s3ObjectStore(new S3Client({}), "qi-test-lake");
  const missing = (name: string) => Object.assign(new Error(name), { name });

  it("lists every page of a prefix", async () => {
    s3()
      .on(ListObjectsV2Command, { ContinuationToken: undefined })
      .resolves({
        Contents: [{ Key: "images/a.jpg", Size: 3, LastModified: new Date("2026-01-01") }],
        IsTruncated: true,
        NextContinuationToken: "t1",
      });
    s3()
      .on(ListObjectsV2Command, { ContinuationToken: "t1" })
      .resolves({
        Contents: [{ Key: "images/b.jpg", Size: 4 }],
        IsTruncated: false,
      });
    const keys: string[] = [];
    for await (const object of store().list("images/")) keys.push(object.key);
    expect(keys).to.deep.equal(["images/a.jpg", "images/b.jpg"]);
    expect(s3().commandCalls(ListObjectsV2Command)[0].args[0].input).to.include({
      Bucket: "qi-test-lake",
      Prefix: "images/",
    });
  });

  it("streams an object and names a missing one", async () => {
    s3()
      .on(GetObjectCommand, { Key: "a.txt" })
      .resolves({ Body: Readable.from([Buffer.from("hello")]) as never });
    s3().on(GetObjectCommand, { Key: "none" }).rejects(missing("NoSuchKey"));
    expect((await readAll(await store().read("a.txt"))).toString()).to.equal("hello");
    const error = await failureOf(store().read("none"));
    expect(error.name).to.equal("ObjectNotFoundError");
  });

  it("answers head with undefined for a missing object", async () => {
    s3().on(HeadObjectCommand).rejects(missing("NotFound"));
    expect(await store().head("none")).to.equal(undefined);
  });

  it("copies inside the bucket with an encoded source", async () => {
    s3().on(CopyObjectCommand).resolves({});
    await store().copy("compiled/v 1/model.onnx", "components/c/1.0.1/model.onnx");
    expect(s3().commandCalls(CopyObjectCommand)[0].args[0].input).to.deep.include({
      Bucket: "qi-test-lake",
      Key: "components/c/1.0.1/model.onnx",
      CopySource: "qi-test-lake/compiled/v%201/model.onnx",
    });
  });
});
