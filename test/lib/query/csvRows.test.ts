import { expect } from "chai";
import { CsvRecord, csvRows, MalformedCsvError } from "../../../lib/query/csvRows";
import { athenaCsv } from "../../fakes/athenaCsv";
import { heldHeapBytes } from "../../harness/heap";

async function* chunksOf(...pieces: (string | Uint8Array)[]): AsyncIterable<string | Uint8Array> {
  for (const piece of pieces) yield piece;
}

async function read(chunks: AsyncIterable<string | Uint8Array>): Promise<CsvRecord[]> {
  const records: CsvRecord[] = [];
  for await (const record of csvRows(chunks)) records.push(record);
  return records;
}

async function failure(chunks: AsyncIterable<string | Uint8Array>): Promise<Error> {
  const error = await read(chunks).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, "it should have failed").to.be.instanceOf(MalformedCsvError);
  return error as Error;
}

const labels = JSON.stringify([{ label: "scratch", box: [1, 2, 3, 4], note: 'said "ok", then\nleft' }]);
const sample: CsvRecord[] = [
  ["image_id", "annotations", "split", "note"],
  ["img-1", labels, "train", null],
  ["img-2", "", "test", 'a "quoted" word'],
  ["img-3", "ünïcödé ✓ 🦀, 日本", "val", "line one\r\nline two\rthree"],
  ["img-4", ",,,", '"', '""'],
  [null, null, null, null],
];

describe("reading Athena's CSV result files (csvRows)", () => {
  it("round-trips quotes, commas, newlines, unicode, and tells an empty string from a NULL", async () => {
    expect(await read(chunksOf(athenaCsv(sample)))).to.deep.equal(sample);
    expect(await read(chunksOf(Buffer.from(athenaCsv(sample, "\r\n"))))).to.deep.equal(sample);
  });

  it("reads the same records however the bytes are split: at every byte, in two chunks and byte by byte", async () => {
    const bytes = Buffer.from(athenaCsv(sample));
    for (let at = 0; at <= bytes.length; at++) {
      const records = await read(chunksOf(bytes.subarray(0, at), bytes.subarray(at)));
      expect(records, `split at byte ${at}`).to.deep.equal(sample);
    }
    const crlf = Buffer.from(athenaCsv(sample, "\r\n"));
    for (let at = 0; at <= crlf.length; at++) {
      expect(await read(chunksOf(crlf.subarray(0, at), crlf.subarray(at))), `CRLF split at ${at}`).to.deep.equal(
        sample,
      );
    }
    const single = [...bytes].map((byte) => Uint8Array.of(byte));
    expect(await read(chunksOf(...single))).to.deep.equal(sample);
  });

  it("reads unquoted values and a last record without a newline", async () => {
    expect(await read(chunksOf("a,b\n1,x\n2,"))).to.deep.equal([
      ["a", "b"],
      ["1", "x"],
      ["2", null],
    ]);
  });

  it("has no records for an empty file and only the header for a header-only file", async () => {
    expect(await read(chunksOf())).to.deep.equal([]);
    expect(await read(chunksOf(""))).to.deep.equal([]);
    expect(await read(chunksOf('"a","b"\n'))).to.deep.equal([["a", "b"]]);
  });

  it("fails, naming the record, on a file that ends inside a quoted value (truncated)", async () => {
    const error = await failure(chunksOf('"a","b"\n"1","tru', "ncat"));
    expect(error.message).to.equal("the file ends inside a quoted value in record 2 (truncated?)");
    // A doubled quote at the very end is still inside the value.
    await failure(chunksOf('"a"\n"x""'));
  });

  it("fails on a stray quote: after a closing quote, or inside an unquoted value", async () => {
    expect((await failure(chunksOf('"a","b"\n"1"x,"2"\n'))).message).to.equal("a stray quote in record 2 (cell 1)");
    expect((await failure(chunksOf('"a","b"\n"1",ab"c\n'))).message).to.equal("a stray quote in record 2 (cell 2)");
  });

  it("fails on a ragged record: fewer or more cells than the header", async () => {
    expect((await failure(chunksOf('"a","b","c"\n"1","2","3"\n"1","2"\n'))).message).to.equal(
      "record 3 has 2 cells where the header has 3",
    );
    expect((await failure(chunksOf('"a"\n"1",\n'))).message).to.equal("record 2 has 2 cells where the header has 1");
  });

  it("fails on bytes that are not UTF-8", async () => {
    const error = await failure(chunksOf(Buffer.from('"a"\n"'), Uint8Array.of(0xff, 0xfe), Buffer.from('"\n')));
    expect(error.message).to.equal("the file is not UTF-8 text");
  });

  it("streams 200,000 rows in 64 KiB chunks with the heap growing far less than the file", async () => {
    const rows = 200_000;
    const chunkBytes = 64 * 1024;
    let fileBytes = 0;
    // The file is generated as it is read, so only the reader can make the heap grow.
    async function* file(): AsyncIterable<Uint8Array> {
      let pending = athenaCsv([["image_id", "annotations", "split"]]);
      for (let i = 0; i < rows; i++) {
        const note = `{"label":"scratch","box":[${i},${i + 1},4,4],"by":"inspector, \\"${i % 7}\\""}`;
        pending += athenaCsv([[`img-${i}`, note, i % 10 === 0 ? null : "train"]]);
        while (pending.length >= chunkBytes) {
          const chunk = Buffer.from(pending.slice(0, chunkBytes));
          pending = pending.slice(chunkBytes);
          fileBytes += chunk.length;
          yield chunk;
        }
      }
      fileBytes += pending.length;
      yield Buffer.from(pending);
    }
    const heldBytes = heldHeapBytes;
    const before = heldBytes();
    let peak = before;
    let count = 0;
    for await (const record of csvRows(file())) {
      if (count > 0) {
        const i = count - 1;
        expect(record[0]).to.equal(`img-${i}`);
        expect(record[1]).to.contain(`"box":[${i},`);
        expect(record[2]).to.equal(i % 10 === 0 ? null : "train");
      }
      count++;
      if (count % 20_000 === 0) peak = Math.max(peak, heldBytes());
    }
    expect(count).to.equal(rows + 1);
    expect(fileBytes).to.be.greaterThan(16 * 1024 * 1024);
    // Holding the records (or the file) would grow the heap by more than the file's size.
    expect(peak - before, `heap grew ${peak - before} bytes for a ${fileBytes}-byte file`).to.be.lessThan(
      fileBytes / 4,
    );
  });
});
