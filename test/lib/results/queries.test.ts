import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { expect } from "chai";
import { DATA_LAKE_PREFIXES } from "../../../contracts/dataLake";
import { openResultsEngine } from "../../../lib/results/duckDbResults";
import { NAMED_QUERIES, NAMED_QUERY_NAMES, QueryParams, windowFilter } from "../../../lib/results/queries";
import { ResultsBuffer } from "../../../lib/results/resultsBuffer";
import type { DuckDbQueryEngine } from "../../../lib/query/duckdb";
import { FileObjectStore } from "../../../offline/fileObjectStore";
import { GeneratedInspection, generateInspections } from "../../harness/inspectionResults";
import { deviceError } from "../../harness/viewerMessages";

const DEVICES = ["line-1-a", "line-1-b", "line-2-a", "qa-bench"];
const HOUR = 3_600_000;
const params = (overrides: Partial<QueryParams> = {}): QueryParams => ({
  window: { lastDays: 3 },
  silentMinutes: 30,
  linePattern: "^(line-[0-9]+)",
  limit: 5,
  ...overrides,
});

/** Expected rows of a defect-rate query, counted here in TypeScript from the generated inspections. */
function rates(inspections: GeneratedInspection[], groupOf: (i: GeneratedInspection) => Record<string, string>) {
  const groups = new Map<string, { group: Record<string, string>; inspections: number; failed: number }>();
  for (const inspection of inspections) {
    const group = groupOf(inspection);
    const key = JSON.stringify(group);
    const entry = groups.get(key) ?? { group, inspections: 0, failed: 0 };
    entry.inspections += 1;
    entry.failed += inspection.failed ? 1 : 0;
    groups.set(key, entry);
  }
  return [...groups.values()]
    .map((g) => ({
      ...g.group,
      inspections: g.inspections,
      failed: g.failed,
      defect_rate: Math.round((g.failed / g.inspections) * 10_000) / 10_000,
    }))
    .sort((a, b) => (JSON.stringify(Object.values(a)) < JSON.stringify(Object.values(b)) ? -1 : 1));
}

describe("the named results queries on DuckDB", () => {
  let root: string;
  let engine: DuckDbQueryEngine;
  let inspections: GeneratedInspection[];
  const now = Date.now();

  before(async () => {
    root = mkdtempSync(path.join(tmpdir(), "qi-results-"));
    const store = new FileObjectStore(root, "lake");
    // 40 results a device, 7 minutes apart, the last a few minutes ago; qa-bench stopped two hours earlier.
    inspections = DEVICES.flatMap((device) =>
      generateInspections({
        devices: [device],
        perDevice: 40,
        start: new Date(now - 40 * 7 * 60_000 - (device === "qa-bench" ? 2 * HOUR : 0)),
        seed: device.length * 31 + device.charCodeAt(device.length - 1),
      }),
    );
    const buffer = new ResultsBuffer(store);
    for (const { message } of inspections) buffer.addResult(message);
    await buffer.flush();
    // At-least-once delivery: the first ten arrive again, in another object.
    for (const { message } of inspections.slice(0, 10)) buffer.addResult(message);
    buffer.addError(deviceError("IMAGE_UNREADABLE", "truncated JPEG", "broken.jpg"));
    await buffer.flush();
    engine = await openResultsEngine(root);
  });
  after(async () => {
    await engine.close();
    rmSync(root, { recursive: true, force: true });
  });

  it("stores them under results/<kind>/day=<UTC day>/device=<thing>/ as gzip JSON lines", async () => {
    const store = new FileObjectStore(root, "lake");
    const keys: string[] = [];
    for await (const object of store.list(DATA_LAKE_PREFIXES.results)) keys.push(object.key);
    expect(keys.length).to.be.greaterThan(DEVICES.length);
    for (const key of keys) {
      expect(key).to.match(
        /^results\/(inspections|errors)\/day=\d{4}-\d{2}-\d{2}\/device=[\w:-]+\/offline-.+\.json\.gz$/,
      );
    }
  });

  it("counts each message once, whatever the number of deliveries", async () => {
    const { rows } = await engine.query("SELECT count(*) AS n, count(DISTINCT messageid) AS d FROM results");
    expect(rows[0]).to.deep.equal({ n: inspections.length + 10, d: inspections.length });
    const errors = await engine.query("SELECT code, device FROM errors");
    expect(errors.rows).to.deep.equal([{ code: "IMAGE_UNREADABLE", device: "line-1" }]);
  });

  it("defectRateByDeviceHour: inspections, failed parts and their ratio per device and UTC hour", async () => {
    const { rows } = await engine.query(NAMED_QUERIES.defectRateByDeviceHour.sql(params()));
    const expected = rates(inspections, (i) => ({ device: i.device, hour: `${i.message.timestamp.slice(0, 13)}:00Z` }));
    expect(rows).to.deep.equal(expected);
    expect(expected.some((r) => r.failed > 0) && expected.some((r) => r.failed === 0)).to.equal(true);
  });

  it("defectRateByModelVersion: per model name and version", async () => {
    const { rows } = await engine.query(NAMED_QUERIES.defectRateByModelVersion.sql(params()));
    const expected = rates(inspections, (i) => ({
      model_name: i.message.modelName,
      model_version: i.message.modelVersion,
    }));
    expect(rows).to.deep.equal(expected);
    expect(rows.map((r) => r.model_version)).to.deep.equal(["1.0.6", "1.0.7"]);
  });

  it("defectRateByLine: per line by the configured pattern, others unassigned", async () => {
    const { rows } = await engine.query(NAMED_QUERIES.defectRateByLine.sql(params()));
    const lineOf = (device: string) => /^(line-[0-9]+)/.exec(device)?.[1] ?? "unassigned";
    expect(rows).to.deep.equal(rates(inspections, (i) => ({ line: lineOf(i.device) })));
    expect(rows.map((r) => r.line)).to.deep.equal(["line-1", "line-2", "unassigned"]);
  });

  it("mostUncertainImages: the lowest best scores, once each", async () => {
    const { rows } = await engine.query(NAMED_QUERIES.mostUncertainImages.sql(params({ limit: 5 })));
    const expected = inspections
      .filter((i) => i.topScore !== null)
      .sort((a, b) => a.topScore! - b.topScore! || (a.message.messageId < b.message.messageId ? -1 : 1))
      .slice(0, 5);
    expect(rows.map((r) => [r.image_name, r.top_score])).to.deep.equal(
      expected.map((i) => [i.message.image_name, i.topScore]),
    );
  });

  it("silentDevices: the devices whose last result is older than the configured minutes", async () => {
    const { rows } = await engine.query(NAMED_QUERIES.silentDevices.sql(params({ silentMinutes: 30 })));
    const last = inspections.filter((i) => i.device === "qa-bench").at(-1)!.message.timestamp;
    expect(rows.map((r) => [r.device, r.last_seen])).to.deep.equal([["qa-bench", last]]);
    const minutes = Math.floor((Date.now() - Date.parse(last)) / 60_000);
    expect(rows[0].minutes_silent).to.be.within(minutes - 1, minutes + 1);
    const longer = await engine.query(NAMED_QUERIES.silentDevices.sql(params({ silentMinutes: 600 })));
    expect(longer.rows).to.deep.equal([]);
  });

  it("reads only the window: since a moment", async () => {
    const since = new Date(now - HOUR);
    const { rows } = await engine.query(NAMED_QUERIES.defectRateByModelVersion.sql(params({ window: { since } })));
    const recent = inspections.filter((i) => i.message.timestamp >= since.toISOString());
    expect(rows).to.deep.equal(
      rates(recent, (i) => ({ model_name: i.message.modelName, model_version: i.message.modelVersion })),
    );
    expect(recent.length).to.be.lessThan(inspections.length);
  });

  it("keeps quotes in a pattern inside its string literal", async () => {
    const sql = NAMED_QUERIES.defectRateByLine.sql(params({ linePattern: "^(x')--" }));
    expect(sql).to.include("'^(x'')--'");
    const { rows } = await engine.query(sql);
    expect(rows.map((r) => r.line)).to.deep.equal(["unassigned"]);
    expect(windowFilter({ lastDays: 2.9 })).to.include("INTERVAL '2' DAY");
  });

  it("runs every named query on an empty data lake", async () => {
    const empty = mkdtempSync(path.join(tmpdir(), "qi-results-empty-"));
    const emptyEngine = await openResultsEngine(empty);
    try {
      for (const name of NAMED_QUERY_NAMES) {
        const { rows } = await emptyEngine.query(NAMED_QUERIES[name].sql(params()));
        expect(rows, name).to.deep.equal([]);
      }
    } finally {
      await emptyEngine.close();
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
