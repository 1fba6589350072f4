import { readdirSync, rmSync, writeFileSync } from "node:fs";
import { promises as fs } from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { Outbox, OutboxFullError } from "../../edge/src/outbox";
import { tempDir } from "../harness/modelFolders";

type Meta = { topic: string };
const payload = (i: number) => Buffer.from(JSON.stringify({ n: i, pad: "x".repeat(80) }));

describe("edge durable outbox", () => {
  let root: string;
  let n = 0;
  const fresh = () => path.join(root, `outbox-${n++}`);
  before(() => (root = tempDir("outbox")));
  after(() => rmSync(root, { recursive: true, force: true }));

  it("hands messages out oldest first and forgets them only when removed", async () => {
    const outbox = await Outbox.open<Meta>(fresh(), { maxBytes: 1 << 20 });
    for (let i = 0; i < 3; i++) await outbox.append(payload(i), { topic: `t/${i}` });
    const first = await outbox.peek();
    expect(first?.meta).to.deep.equal({ topic: "t/0" });
    expect(JSON.parse(first!.payload.toString()).n).to.equal(0);
    expect((await outbox.peek())?.id, "peek does not consume").to.equal(first?.id);
    await outbox.remove(first!.id);
    expect(JSON.parse((await outbox.peek())!.payload.toString()).n).to.equal(1);
    expect(outbox.length).to.equal(2);
  });

  it("keeps binary payloads byte for byte", async () => {
    const outbox = await Outbox.open<{ key: string; contentType: string }>(fresh(), { maxBytes: 1 << 20 });
    const bytes = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7) % 256));
    await outbox.append(bytes, { key: "images/a.jpg", contentType: "image/jpeg" });
    const entry = await outbox.peek();
    expect(entry?.payload.equals(bytes)).to.equal(true);
    expect(entry?.meta).to.deep.equal({ key: "images/a.jpg", contentType: "image/jpeg" });
  });

  it("survives a restart: a new process sees the same messages in the same order", async () => {
    const dir = fresh();
    const before = await Outbox.open<Meta>(dir, { maxBytes: 1 << 20 });
    for (let i = 0; i < 5; i++) await before.append(payload(i), { topic: "t" });
    await before.remove((await before.peek())!.id);
    // An append interrupted before its rename leaves a .tmp file; it was never confirmed, so it is discarded.
    writeFileSync(path.join(dir, "0000000000000099.msg.tmp"), "half a message");

    const after = await Outbox.open<Meta>(dir, { maxBytes: 1 << 20 });
    const seen: number[] = [];
    for (let entry = await after.peek(); entry; entry = await after.peek()) {
      seen.push(JSON.parse(entry.payload.toString()).n);
      await after.remove(entry.id);
    }
    expect(seen).to.deep.equal([1, 2, 3, 4]);
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).to.deep.equal([]);
    // New ids continue after the old ones, so order holds across restarts.
    const { id } = await after.append(payload(9), { topic: "t" });
    expect(id).to.equal(6);
  });

  it("drops the oldest messages when full, counts them, and keeps the count across restarts", async () => {
    const dir = fresh();
    const size = 13 + JSON.stringify({ topic: "t" }).length + payload(0).length;
    const outbox = await Outbox.open<Meta>(dir, { maxBytes: size * 3 });
    const drops: number[] = [];
    for (let i = 0; i < 5; i++) drops.push((await outbox.append(payload(i), { topic: "t" })).dropped);
    expect(drops).to.deep.equal([0, 0, 0, 1, 1]);
    expect(outbox.length).to.equal(3);
    expect(outbox.bytes).to.equal(size * 3);
    expect(outbox.dropped).to.equal(2);
    expect(JSON.parse((await outbox.peek())!.payload.toString()).n).to.equal(2);

    const reopened = await Outbox.open<Meta>(dir, { maxBytes: size * 3 });
    expect(reopened.dropped).to.equal(2);
    expect(reopened.bytes).to.equal(size * 3);
  });

  it("tolerates removing a message that was dropped while it was being sent", async () => {
    const size = 13 + JSON.stringify({ topic: "t" }).length + payload(0).length;
    const outbox = await Outbox.open<Meta>(fresh(), { maxBytes: size });
    await outbox.append(payload(0), { topic: "t" });
    const inFlight = (await outbox.peek())!;
    await outbox.append(payload(1), { topic: "t" }); // drops message 0
    await outbox.remove(inFlight.id);
    expect(JSON.parse((await outbox.peek())!.payload.toString()).n).to.equal(1);
  });

  it("refuses a message larger than the whole outbox", async () => {
    const outbox = await Outbox.open<Meta>(fresh(), { maxBytes: 64 });
    try {
      await outbox.append(Buffer.alloc(100), { topic: "t" });
      expect.fail("expected an OutboxFullError");
    } catch (error) {
      expect(error).to.be.instanceOf(OutboxFullError);
    }
    expect(outbox.length).to.equal(0);
  });

  it("sets a damaged message aside and carries on with the next", async () => {
    const dir = fresh();
    const corrupt: string[] = [];
    const outbox = await Outbox.open<Meta>(dir, { maxBytes: 1 << 20, onCorrupt: (file) => corrupt.push(file) });
    await outbox.append(payload(0), { topic: "t" });
    await outbox.append(payload(1), { topic: "t" });
    const [firstFile] = readdirSync(dir)
      .filter((f) => f.endsWith(".msg"))
      .sort();
    const bytes = await fs.readFile(path.join(dir, firstFile));
    bytes[bytes.length - 3] ^= 0xff; // flip bits in the payload: the checksum no longer matches
    await fs.writeFile(path.join(dir, firstFile), bytes);

    expect(JSON.parse((await outbox.peek())!.payload.toString()).n).to.equal(1);
    expect(corrupt).to.deep.equal([firstFile]);
    expect(readdirSync(path.join(dir, "corrupt"))).to.deep.equal([firstFile]);
    expect(outbox.length).to.equal(1);
  });

  it("announces appends and an empty queue", async () => {
    const outbox = await Outbox.open<Meta>(fresh(), { maxBytes: 1 << 20 });
    const events: string[] = [];
    outbox.on("appended", () => events.push("appended"));
    outbox.on("empty", () => events.push("empty"));
    const { id } = await outbox.append(payload(0), { topic: "t" });
    await outbox.remove(id);
    expect(events).to.deep.equal(["appended", "empty"]);
  });
});
