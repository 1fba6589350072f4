import { expect } from "chai";
import { execFileSync } from "node:child_process";
import { createReadStream } from "node:fs";
import * as path from "node:path";
import { Readable } from "node:stream";
import { createTarGz, readTarEntries, TarFormatError } from "../../lib/tar";
import { skipBecause } from "../harness/skip";

const FIXTURE = path.join(__dirname, "..", "fixtures", "python-tarfile.tar.gz");

function hasPython(): boolean {
  try {
    execFileSync("python3", ["-c", "import tarfile"]);
    return true;
  } catch {
    return false;
  }
}

describe("the tar reader and writer", () => {
  it("reads the files it is asked for out of a tar.gz written by Python's tarfile", async () => {
    const entries = await readTarEntries(createReadStream(FIXTURE), (name) => name !== "metrics.json");
    expect([...entries.keys()].sort()).to.deep.equal(["model.json", "model.onnx", `nested/${"x".repeat(150)}.txt`]);
    expect(entries.get("model.json")!.toString()).to.equal('{"a":1}');
    const onnx = entries.get("model.onnx")!;
    expect(onnx.length).to.equal(1280);
    expect([...onnx.subarray(250, 260)]).to.deep.equal([250, 251, 252, 253, 254, 255, 0, 1, 2, 3]);
  });

  it("round-trips files through its own archives, whatever the chunking of the stream", async () => {
    const big = Buffer.alloc(70_000, 7);
    const archive = createTarGz([
      { name: "b/model.onnx", data: big },
      { name: "a.json", data: Buffer.from("{}") },
      { name: `${"d".repeat(120)}/long-name.py`, data: Buffer.from("print(1)") },
    ]);
    const chunks = Array.from({ length: Math.ceil(archive.length / 333) }, (_, i) =>
      archive.subarray(i * 333, i * 333 + 333),
    );
    const entries = await readTarEntries(Readable.from(chunks), () => true);
    expect(entries.get("b/model.onnx")!.equals(big)).to.equal(true);
    expect(entries.get("a.json")!.toString()).to.equal("{}");
    expect(entries.get(`${"d".repeat(120)}/long-name.py`)!.toString()).to.equal("print(1)");
  });

  it("writes the same bytes for the same files in any order", () => {
    const files = [
      { name: "train.py", data: Buffer.from("a") },
      { name: "requirements.txt", data: Buffer.from("b") },
    ];
    expect(createTarGz(files).equals(createTarGz([...files].reverse()))).to.equal(true);
    expect(createTarGz(files).equals(createTarGz([{ ...files[0], data: Buffer.from("c") }, files[1]]))).to.equal(false);
  });

  it("writes archives that Python's tarfile (SageMaker's toolkit) extracts", function () {
    if (!hasPython()) skipBecause(this, "python3 cannot be run (it is on every developer machine and in CI)");
    const archive = createTarGz([{ name: "pkg/train.py", data: Buffer.from("print('hi')\n") }]);
    const script =
      "import sys,tarfile,io;t=tarfile.open(fileobj=io.BytesIO(sys.stdin.buffer.read()));print(t.extractfile('pkg/train.py').read().decode(),end='')";
    expect(execFileSync("python3", ["-c", script], { input: archive }).toString()).to.equal("print('hi')\n");
  });

  it("refuses bytes that are not a tar archive, saying where, instead of reading garbage as entries", async () => {
    const problem = async (raw: Buffer) => {
      try {
        await readTarEntries(Readable.from([raw]), () => true, { gzipped: false });
      } catch (error) {
        expect(error).to.be.instanceOf(TarFormatError);
        return (error as Error).message;
      }
      throw new Error("expected a TarFormatError");
    };
    const { gunzipSync } = await import("node:zlib");
    const tar = gunzipSync(
      createTarGz([
        { name: "a.txt", data: Buffer.from("a") },
        { name: "b.txt", data: Buffer.alloc(600) },
      ]),
    );
    const corrupt = Buffer.from(tar);
    corrupt[1024 + 3] ^= 0xff; // the name of the second entry, whose header starts after the first's data block
    expect(await problem(corrupt)).to.equal(
      "not a tar archive: the 512 bytes at byte 1024 are not a tar header (bad checksum)",
    );
    expect(await problem(Buffer.from("x".repeat(600)))).to.match(/at byte 0 are not a tar header/);
    expect(await problem(Buffer.from("x".repeat(100)))).to.equal(
      "not a tar archive: it ends 100 bytes into a header at byte 0",
    );
  });

  it("fails on a truncated archive instead of returning part of a file", async () => {
    const archive = createTarGz([{ name: "model.onnx", data: Buffer.alloc(5000, 1) }]);
    const { gunzipSync } = await import("node:zlib");
    const raw = gunzipSync(archive).subarray(0, 2048);
    let error: unknown;
    try {
      await readTarEntries(Readable.from([raw]), () => true, { gzipped: false });
    } catch (e) {
      error = e;
    }
    expect(String(error)).to.match(/ends inside model.onnx/);
  });
});
