import { expect } from "chai";
import { EXIT_BAD_OPTIONS, main } from "../../labeler/main";
import { LabelerOptionsError, parseLabelerOptions } from "../../labeler/src/options";

function problemsOf(input: Record<string, unknown>): string[] {
  try {
    parseLabelerOptions(input);
  } catch (error) {
    expect(error).to.be.instanceOf(LabelerOptionsError);
    return (error as LabelerOptionsError).problems;
  }
  throw new Error("expected the options to be refused");
}

describe("labeler: flags", () => {
  it("needs the bucket and the job, and defaults the rest", () => {
    expect(problemsOf({})).to.deep.equal([
      "--bucket is required and must be an S3 bucket name (3 to 63 lowercase letters, digits, dots and dashes)",
      "--job is required and must be a labeling job name (letters, digits and single dashes, at most 63)",
    ]);
    expect(parseLabelerOptions({ bucket: "qi-dev-lake", job: "qi-dev-label-1", labeler: "ana" })).to.deep.equal({
      bucket: "qi-dev-lake",
      job: "qi-dev-label-1",
      labeler: "ana",
      claimMinutes: 15,
      port: 8090,
    });
  });

  it("names each bad flag and the form it wants, all at once", () => {
    expect(
      problemsOf({
        bucket: "Bad_Bucket",
        job: "a b",
        port: "70000",
        claimMinutes: "0",
        model: "/no/such/model",
        labeler: "<x>",
      }),
    ).to.deep.equal([
      '--bucket must be an S3 bucket name (3 to 63 lowercase letters, digits, dots and dashes) (got "Bad_Bucket")',
      '--job must be a labeling job name (letters, digits and single dashes, at most 63) (got "a b")',
      '--model must be an existing model folder or .onnx file (got "/no/such/model")',
      '--labeler must be 1 to 64 letters, digits or . _ @ + - (got "<x>")',
      '--claim-minutes must be a whole number of minutes from 1 to 1440 (got "0")',
      '--port must be a whole number from 0 to 65535 (got "70000")',
    ]);
  });

  it("exits 2 on a bad flag, before touching AWS", async () => {
    const write = process.stderr.write.bind(process.stderr);
    const err: string[] = [];
    process.stderr.write = ((text: string) => err.push(text) > 0) as typeof process.stderr.write;
    try {
      expect(await main(["node", "label", "--bucket", "qi-dev-lake", "--job", "a b"])).to.equal(EXIT_BAD_OPTIONS);
    } finally {
      process.stderr.write = write;
    }
    expect(err.join("")).to.contain("--job must be a labeling job name");
  });
});
