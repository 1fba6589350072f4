import { rmSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { inferenceErrorProblems, InferenceError } from "../../contracts/inferenceMessages";
import { DropNotices } from "../../edge/src/dropNotices";
import { Outbox } from "../../edge/src/outbox";
import { tempDir } from "../harness/modelFolders";
import { memoryLog } from "../fakes/memoryLog";

type Meta = { topic: string };

describe("edge drop notices", () => {
  const root = tempDir("drops");
  after(() => rmSync(root, { recursive: true, force: true }));

  it("a full outbox keeps results, not notices: one pending notice with the exact count and time range", async () => {
    const outbox = await Outbox.open<Meta>(path.join(root, "full"), { maxBytes: 65_536, fsync: false });
    let clock = Date.parse("2026-01-01T00:00:00.000Z");
    const log = memoryLog();
    const drops = new DropNotices(outbox, "t/errors", "line-1", log, () => clock);
    const result = (i: number) => Buffer.from(JSON.stringify({ n: i, pad: "x".repeat(550) }));
    // The run: 1,171 inspections into a full outbox, nothing delivered, one image every 20 ms.
    for (let i = 0; i < 1171; i++) {
      clock += 20;
      const { drop } = await outbox.append(result(i), { topic: "t" });
      if (drop) await drops.record("outbox", drop, outbox.dropped, 65_536);
    }
    const queued: { meta: Meta; body: Record<string, unknown> }[] = [];
    for (let entry = await outbox.peek(); entry; entry = await outbox.peek()) {
      queued.push({ meta: entry.meta, body: JSON.parse(entry.payload.toString()) });
      await outbox.remove(entry.id);
    }
    const notices = queued.filter((m) => m.meta.topic === "t/errors").map((m) => m.body as unknown as InferenceError);
    const results = queued.filter((m) => m.meta.topic === "t");
    expect(notices).to.have.length(1);
    const [notice] = notices;
    expect(inferenceErrorProblems(notice)).to.deep.equal([]);
    // Exact: every inspection is either still queued or counted as dropped.
    expect(notice.droppedTotal! + results.length).to.equal(1171);
    expect(notice.dropped).to.equal(notice.droppedTotal);
    expect(results.at(-1)!.body.n).to.equal(1170);
    expect(results[0].body.n).to.equal(notice.droppedTotal);
    expect(notice.droppedFrom! < notice.droppedTo!).to.equal(true);
    expect(notice.message).to.match(/^outbox full \(65536 bytes\): dropped the \d+ oldest messages \(queued /);
    // 23 s of drops: said once, not once per image.
    expect(log.lines.filter((l) => l.startsWith("WARN outbox full"))).to.have.length(1);
  });

  it("says it again after a minute with the count since, and starts a new notice once one is handed out", async () => {
    const outbox = await Outbox.open<Meta>(path.join(root, "minute"), { maxBytes: 65_536, fsync: false });
    let clock = 0;
    const log = memoryLog();
    const drops = new DropNotices(outbox, "t/errors", "line-1", log, () => clock);
    const at = (ms: number) => new Date(ms);
    await drops.record("outbox", { count: 2, from: at(0), to: at(10) }, 2, 65_536);
    clock = 30_000;
    await drops.record("outbox", { count: 3, from: at(20), to: at(30) }, 5, 65_536);
    clock = 61_000;
    await drops.record("outbox", { count: 1, from: at(40), to: at(40) }, 6, 65_536);
    expect(log.lines).to.deep.equal([
      "WARN outbox full (65536 bytes): dropped the 2 oldest messages, 2 in all (said at most once a minute)",
      "WARN outbox full (65536 bytes): dropped the 4 oldest messages in the last 61 s, 6 in all (said at most once a minute)",
    ]);
    const first = (await outbox.peek())!;
    expect(JSON.parse(first.payload.toString())).to.include({ dropped: 6, droppedTotal: 6 });
    await drops.record("upload-outbox", { count: 1, from: at(50), to: at(50) }, 1, 1 << 20);
    await drops.record("outbox", { count: 1, from: at(60), to: at(60) }, 7, 65_536);
    await outbox.remove(first.id);
    const next = [JSON.parse((await outbox.peek())!.payload.toString())];
    await outbox.remove((await outbox.peek())!.id);
    next.push(JSON.parse((await outbox.peek())!.payload.toString()));
    expect(next.map((n) => [n.dropped, n.droppedTotal, n.droppedFrom]).sort()).to.deep.equal([
      [1, 1, at(50).toISOString()],
      [1, 7, at(60).toISOString()],
    ]);
  });
});
