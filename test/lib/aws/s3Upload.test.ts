import { expect } from "chai";
import { s3Upload } from "../../../lib/aws/s3Upload";
import { failureOf } from "../../harness/failure";

interface Sent {
  command: string;
  input: { Body?: Uint8Array; PartNumber?: number; UploadId?: string; MultipartUpload?: { Parts: unknown[] } };
}

/** An S3 client that records each command and answers as S3 does; `noETag` leaves UploadPart's answer without one. */
function recordingClient(options: { noETag?: boolean } = {}) {
  const sent: Sent[] = [];
  const client = {
    send: async (command: { constructor: { name: string }; input: Sent["input"] }) => {
      sent.push({ command: command.constructor.name.replace(/Command$/, ""), input: command.input });
      if (command.constructor.name === "CreateMultipartUploadCommand") return { UploadId: "upload-1" };
      if (command.constructor.name === "UploadPartCommand")
        return options.noETag ? {} : { ETag: `"etag-${command.input.PartNumber}"` };
      return {};
    },
  };
  return { client: client as never, sent };
}

const target = { bucket: "lake", key: "datasets/d/train/annotations.jsonl", contentType: "application/jsonlines" };

describe("s3Upload", () => {
  it("stores an object smaller than a part with one PutObject", async () => {
    const { client, sent } = recordingClient();
    const upload = s3Upload(client, target, 10);
    await upload.write("abc");
    await upload.write(Buffer.from("def"));
    await upload.close();
    expect(sent.map((s) => s.command)).to.deep.equal(["PutObject"]);
    expect(Buffer.from(sent[0].input.Body!).toString()).to.equal("abcdef");
  });

  it("sends full parts while it is written, the rest at close, and completes them in order", async () => {
    const { client, sent } = recordingClient();
    const upload = s3Upload(client, target, 10);
    for (let i = 0; i < 25; i++) await upload.write(String(i % 10));
    const beforeClose = sent.map((s) => s.command);
    await upload.close();
    expect(beforeClose).to.deep.equal(["CreateMultipartUpload", "UploadPart", "UploadPart"]);
    expect(sent.map((s) => s.command)).to.deep.equal([...beforeClose, "UploadPart", "CompleteMultipartUpload"]);
    const bodies = sent.filter((s) => s.command === "UploadPart").map((s) => Buffer.from(s.input.Body!).toString());
    expect(bodies.join("")).to.equal(Array.from({ length: 25 }, (_, i) => String(i % 10)).join(""));
    expect(
      bodies.map((b) => b.length),
      "no part held beyond its size",
    ).to.deep.equal([10, 10, 5]);
    expect(sent.at(-1)!.input.MultipartUpload!.Parts).to.deep.equal([
      { PartNumber: 1, ETag: '"etag-1"' },
      { PartNumber: 2, ETag: '"etag-2"' },
      { PartNumber: 3, ETag: '"etag-3"' },
    ]);
  });

  it("aborts the multipart upload it started, and sends nothing when none was started", async () => {
    const started = recordingClient();
    const upload = s3Upload(started.client, target, 4);
    await upload.write("12345");
    await upload.abort();
    expect(started.sent.map((s) => s.command)).to.deep.equal([
      "CreateMultipartUpload",
      "UploadPart",
      "AbortMultipartUpload",
    ]);
    expect(started.sent.at(-1)!.input.UploadId).to.equal("upload-1");

    const small = recordingClient();
    const nothing = s3Upload(small.client, target, 4);
    await nothing.write("12");
    await nothing.abort();
    expect(small.sent).to.deep.equal([]);
  });

  it("refuses writes after it ended, and a part S3 answered without an ETag", async () => {
    const { client } = recordingClient();
    const upload = s3Upload(client, target, 4);
    await upload.close();
    expect((await failureOf(upload.write("x"))).message).to.contain(
      "the upload of datasets/d/train/annotations.jsonl has ended",
    );
    const noETag = s3Upload(recordingClient({ noETag: true }).client, target, 2);
    expect((await failureOf(noETag.write("xyz"))).message).to.contain("no ETag for part 1");
  });
});
