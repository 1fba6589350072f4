import { expect } from "chai";
import { datasetRecordSchema, datasetSummarySchema, splitOf, SPLITS } from "../../contracts/dataset";
import { buildDataset, BuildDatasetEvent } from "../../lambdas/buildDataset/handler";
import { labelFor } from "../harness/labels";
import { MemoryLabelStore, MemoryObjectStore, recordingLog } from "../fakes/memoryPorts";
import { haveScratches, scratchLabels } from "../harness/scratches";
import { NO_SCRATCHES_DATA } from "../harness/images";
import { skipBecause } from "../harness/skip";
import { failureOf } from "../harness/failure";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { LOCAL_LABELS_TABLE, openLabelsEngine } from "../../lib/labels/duckDbLabels";
import { datasetSplitQuery } from "../../lib/labels/queries";
import { labelingJobKeys } from "../../lib/labeling";
import { heldHeapBytes } from "../harness/heap";

const event = (overrides: Partial<BuildDatasetEvent> = {}): BuildDatasetEvent => ({
  datasetId: "run-1-3fa2b1c9",
  classes: ["scratch"],
  minImages: 5,
  ...overrides,
});

/** `count` labeled images, each with one box unless `clean` says the image was found without defects. */
function labeledLake(count: number, clean: (imageId: string, i: number) => boolean = () => false) {
  const objects = new MemoryObjectStore();
  const labels = new MemoryLabelStore();
  for (let i = 0; i < count; i++) {
    const key = `images/line-1/${String(i).padStart(6, "0")}.jpg`;
    objects.put(key, "x");
    const label = labelFor(key);
    labels.records.set(label.image_id, clean(label.image_id, i) ? { ...label, annotations: "[]" } : label);
  }
  return { objects, labels };
}

const nothingWritten = (objects: MemoryObjectStore) =>
  expect(
    [...objects.objects.keys()].some((k) => k.startsWith("datasets/")),
    "nothing written",
  ).to.equal(false);

const annotationLines = (objects: MemoryObjectStore, id: string, split: string) =>
  objects
    .text(`datasets/${id}/${split}/annotations.jsonl`)
    .split("\n")
    .filter(Boolean)
    .map((line) => datasetRecordSchema.parse(JSON.parse(line)));

describe("BuildDataset", () => {
  it("splits the approved labels by image id and writes annotations, channel manifests and a summary", async () => {
    const { objects, labels } = labeledLake(60);
    objects
      .put("images/line-1/unlabeled.jpg", "x")
      .put("images/line-1/rejected.jpg", "x")
      .put("images/line-1/odd.jpg", "x");
    labels.records.set(
      labelFor("images/line-1/rejected.jpg").image_id,
      labelFor("images/line-1/rejected.jpg", { status: "REJECTED" }),
    );
    const odd = labelFor("images/line-1/odd.jpg", {
      annotations: JSON.stringify([{ class_id: 3, left: 1, top: 1, width: 1, height: 1 }]),
    });
    labels.records.set(odd.image_id, odd);

    const result = await buildDataset(event(), {
      objects,
      labels,
      log: recordingLog(),
      now: () => new Date("2026-12-01T00:00:00Z"),
    });
    expect(result.counts.train + result.counts.validation + result.counts.test).to.equal(60);
    expect(result.skipped, "a box of an unknown class").to.equal(1);
    expect(result.classNames).to.equal("scratch");
    expect(result.channels).to.deep.equal({
      train: "s3://qi-test-lake/datasets/run-1-3fa2b1c9/channels/train.manifest.json",
      validation: "s3://qi-test-lake/datasets/run-1-3fa2b1c9/channels/validation.manifest.json",
      test: "s3://qi-test-lake/datasets/run-1-3fa2b1c9/channels/test.manifest.json",
    });

    for (const split of SPLITS) {
      const records = annotationLines(objects, "run-1-3fa2b1c9", split);
      expect(records).to.have.length(result.counts[split]);
      for (const record of records) expect(splitOf(record.image_id)).to.equal(split);
      // The channel lists the annotations file and every image in place, relative to the bucket root.
      const manifest = objects.json(`datasets/run-1-3fa2b1c9/channels/${split}.manifest.json`) as unknown[];
      expect(manifest[0]).to.deep.equal({ prefix: "s3://qi-test-lake/" });
      expect(manifest[1]).to.equal(`datasets/run-1-3fa2b1c9/${split}/annotations.jsonl`);
      expect(manifest.slice(2)).to.deep.equal(records.map((r) => r.image));
      for (const key of manifest.slice(1) as string[]) expect(objects.objects.has(key), key).to.equal(true);
    }
    const summary = datasetSummarySchema.parse(objects.json("datasets/run-1-3fa2b1c9/summary.json"));
    expect(summary).to.deep.include({
      datasetId: "run-1-3fa2b1c9",
      createdAt: "2026-12-01T00:00:00.000Z",
      classes: ["scratch"],
    });
    expect(summary.counts).to.deep.equal(result.counts);
    expect(summary.boxes.train).to.equal(result.counts.train);
    expect(summary.labelsHash).to.equal(result.labelsHash);
  });

  it("keeps every image in its split as the data grows", async () => {
    const small = labeledLake(200);
    await buildDataset(event({ datasetId: "small" }), { ...small, log: recordingLog() });
    const big = labeledLake(400);
    await buildDataset(event({ datasetId: "big" }), { ...big, log: recordingLog() });
    for (const split of SPLITS) {
      const before = annotationLines(small.objects, "small", split).map((r) => r.image);
      const after = new Set(annotationLines(big.objects, "big", split).map((r) => r.image));
      expect(
        before.every((image) => after.has(image)),
        split,
      ).to.equal(true);
    }
  });

  it("refuses to train on fewer images than the configured minimum, saying how many there are", async () => {
    const { objects, labels } = labeledLake(12);
    const error = await failureOf(buildDataset(event({ minImages: 20 }), { objects, labels, log: recordingLog() }));
    expect(error.name).to.equal("DatasetTooSmallError");
    expect(error.message).to.match(/has 12 approved labeled images .* at least 20 \(dataset.minImages\)/);
    expect(
      [...objects.objects.keys()].some((k) => k.startsWith("datasets/")),
      "nothing written",
    ).to.equal(false);
  });

  it("refuses labels that hold fewer boxes than dataset.minBoxes, saying how many there are", async () => {
    const { objects, labels } = labeledLake(40, (_, i) => i >= 3);
    const error = await failureOf(
      buildDataset(event({ minImages: 20, minBoxes: 10 }), { objects, labels, log: recordingLog() }),
    );
    expect(error.name).to.equal("DatasetTooFewBoxesError");
    expect(error.message).to.match(
      /^the approved labels hold 3 boxes \(train \d+, validation \d+, test \d+\); training needs at least 10 \(dataset.minBoxes\): images without boxes teach a detector nothing to find$/,
    );
    nothingWritten(objects);
  });

  for (const split of SPLITS) {
    it(`refuses a dataset whose ${split} split holds images but not one box, naming the split`, async () => {
      const { objects, labels } = labeledLake(60, (id) => splitOf(id) === split);
      const error = await failureOf(
        buildDataset(event({ minImages: 20, minBoxes: 10 }), { objects, labels, log: recordingLog() }),
      );
      expect(error.name).to.equal("DatasetTooFewBoxesError");
      expect(error.message).to.match(new RegExp(`^the ${split} split has \\d+ images and not one box \\(boxes: `));
      nothingWritten(objects);
    });
  }

  it("accepts an empty test split, and images without boxes next to ones with", async () => {
    const { objects, labels } = labeledLake(40, (_, i) => i % 3 === 0);
    const result = await buildDataset(event({ minBoxes: 10, fractions: { train: 0.8, validation: 0.2, test: 0 } }), {
      objects,
      labels,
      log: recordingLog(),
    });
    expect(result.counts.test).to.equal(0);
    expect(result.boxes.train + result.boxes.validation).to.equal(26);
  });

  it("builds a dataset from the real sample labels", async function () {
    if (!haveScratches()) skipBecause(this, NO_SCRATCHES_DATA);
    const objects = new MemoryObjectStore();
    const labels = new MemoryLabelStore();
    for (const { key, record } of scratchLabels(objects.bucket)) {
      objects.put(key, "jpeg");
      labels.records.set(record.image_id, record);
    }
    const result = await buildDataset(event({ minImages: 200 }), { objects, labels, log: recordingLog() });
    expect(result.counts.train + result.counts.validation + result.counts.test).to.equal(235);
    expect(result.boxes.train).to.be.greaterThan(result.counts.train);
  });

  it("splits 100,000 label records without copying an image", async function () {
    this.timeout(300_000);
    const { objects, labels } = labeledLake(100_000);
    const started = process.hrtime.bigint();
    const result = await buildDataset(event({ minImages: 1000 }), { objects, labels, log: recordingLog() });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    console.log(`      BuildDataset split 100000 label records in ${seconds.toFixed(2)} s`);
    const total = result.counts.train + result.counts.validation + result.counts.test;
    expect(total).to.equal(100_000);
    expect(result.counts.train / total).to.be.closeTo(0.8, 0.01);
    expect(result.counts.validation / total).to.be.closeTo(0.1, 0.01);
    const written = [...objects.objects.keys()].filter((k) => !k.startsWith("images/"));
    expect(written, "only manifests and a summary").to.have.length(7);
    const manifest = objects.json(`datasets/run-1-3fa2b1c9/channels/train.manifest.json`) as string[];
    expect(manifest).to.have.length(result.counts.train + 2);
  });
});

describe("BuildDataset through a query engine (DuckDB standing in for Athena over the offline store)", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "build-dataset-sql-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** The label store's history as the offline store holds it: every put a row, the latest one counts. */
  async function engineOver(labels: MemoryLabelStore, extra: object[] = []) {
    const file = path.join(dir, `${Math.random().toString(36).slice(2)}.jsonl`);
    const rows = [...labels.records.values(), ...extra].map((record) => JSON.stringify(record));
    writeFileSync(file, `${rows.join("\n")}\n`);
    return { engine: await openLabelsEngine(file), table: LOCAL_LABELS_TABLE };
  }

  it("writes the same split and manifests as the in-Lambda path from the same labels", async () => {
    const { objects, labels } = labeledLake(300);
    const older = labelFor("images/line-1/000001.jpg", { event_time: 1, status: "REJECTED" });
    const fractions = { train: 0.7, validation: 0.2, test: 0.1 };
    const inLambda = await buildDataset(event({ fractions }), { objects, labels, log: recordingLog() });
    const lambdaFiles = new Map([...objects.objects.keys()].map((key) => [key, objects.text(key)]));
    const splitEngine = await engineOver(labels, [older]);
    try {
      // No label store to read: the engine's table is the only way to the labels.
      const viaSql = await buildDataset(event({ fractions, athenaAboveImages: 299 }), {
        objects,
        labels: new MemoryLabelStore(),
        log: recordingLog(),
        splitEngine,
      });
      expect({ ...viaSql, splitBy: "lambda" }).to.deep.equal(inLambda);
      expect([inLambda.splitBy, viaSql.splitBy]).to.deep.equal(["lambda", "query"]);
      for (const split of SPLITS) {
        const annotations = `datasets/run-1-3fa2b1c9/${split}/annotations.jsonl`;
        const lines = (text: string) => text.split("\n").filter(Boolean).sort();
        expect(lines(objects.text(annotations)), annotations).to.deep.equal(lines(lambdaFiles.get(annotations) ?? ""));
        // The manifest: the prefix, then the annotations file, then the images (in the order each path met them).
        const manifest = `datasets/run-1-3fa2b1c9/channels/${split}.manifest.json`;
        const entries = (text: string) => {
          const [prefix, file, ...images] = JSON.parse(text) as unknown[];
          return [prefix, file, ...images.map(String).sort()];
        };
        expect(entries(objects.text(manifest)), manifest).to.deep.equal(entries(lambdaFiles.get(manifest) ?? "[]"));
      }
      expect(inLambda.counts.test, "every split used").to.be.greaterThan(0);
    } finally {
      await splitEngine.engine.close();
    }
  });

  it("takes this run's own labels from the label store: the offline store has not received them yet", async () => {
    const { objects, labels } = labeledLake(300);
    const fresh = [...labels.records.values()]
      .slice(0, 25)
      .map((label) => label.source_ref.replace(/^s3:\/\/[^/]+\//, ""));
    const rejectedNow = labelFor(fresh[0], { status: "REJECTED", event_time: 10 });
    // The offline table as it stands minutes after ingestion: the fresh images unlabeled, one of them still approved.
    const offline = new MemoryLabelStore();
    for (const [id, label] of labels.records)
      if (!fresh.some((key) => label.source_ref.endsWith(key))) offline.records.set(id, label);
    labels.records.set(rejectedNow.image_id, rejectedNow);
    const inLambda = await buildDataset(event(), { objects, labels, log: recordingLog() });
    const splitEngine = await engineOver(offline, [labelFor(fresh[0], { event_time: 1 })]);
    try {
      objects.put(labelingJobKeys("job-1").selection, JSON.stringify(fresh));
      const viaSql = await buildDataset(event({ athenaAboveImages: 10, labelingJobName: "job-1" }), {
        objects,
        labels,
        log: recordingLog(),
        splitEngine,
      });
      expect({ ...viaSql, splitBy: "lambda" }).to.deep.equal(inLambda);
      expect([inLambda.splitBy, viaSql.splitBy]).to.deep.equal(["lambda", "query"]);
      expect(viaSql.counts.train + viaSql.counts.validation + viaSql.counts.test).to.equal(299);
      const withoutFresh = await buildDataset(event({ athenaAboveImages: 10 }), {
        objects,
        labels,
        log: recordingLog(),
        splitEngine,
      });
      const total = withoutFresh.counts.train + withoutFresh.counts.validation + withoutFresh.counts.test;
      expect(total, "without the run's selection the lagging table is all there is").to.equal(276);

      objects.put(labelingJobKeys("job-2").selection, '{"not": "a list"}');
      const corrupt = await failureOf(
        buildDataset(event({ athenaAboveImages: 10, labelingJobName: "job-2" }), {
          objects,
          labels,
          log: recordingLog(),
          splitEngine,
        }),
      );
      expect(corrupt.message).to.contain("labeling/job-2/selection.json must be a non-empty JSON array of image keys");
    } finally {
      await splitEngine.engine.close();
    }
  });

  it("streams a large dataset to its files: the heap holds batches, not the 200,000 records", async function () {
    this.timeout(300_000);
    const { objects, labels } = labeledLake(200_000);
    const splitEngine = await engineOver(labels);
    const before = heldHeapBytes();
    let peak = before;
    let writes = 0;
    // Sampled at every 1 MiB batch the writer hands to an upload.
    const sampled = Object.assign(Object.create(objects) as MemoryObjectStore, {
      upload: (key: string) => {
        const upload = objects.upload(key);
        return {
          ...upload,
          write: async (bytes: string | Uint8Array) => {
            if (++writes % 10 === 0) peak = Math.max(peak, heldHeapBytes());
            await upload.write(bytes);
          },
        };
      },
    });
    try {
      const result = await buildDataset(event({ athenaAboveImages: 1000 }), {
        objects: sampled,
        labels: new MemoryLabelStore(),
        log: recordingLog(),
        splitEngine,
      });
      expect(result.splitBy).to.equal("query");
      expect(result.counts.train + result.counts.validation + result.counts.test).to.equal(200_000);
    } finally {
      await splitEngine.engine.close();
    }
    const written = [...objects.objects.entries()]
      .filter(([key]) => key.startsWith("datasets/"))
      .reduce((sum, [, object]) => sum + object.body.length, 0);
    expect(writes).to.be.greaterThan(20);
    // The records alone would take ~420 bytes each on the heap (84 MB), more than the files they make.
    expect(peak - before, `heap grew ${peak - before} bytes writing ${written} bytes`).to.be.lessThan(written / 3);
  });

  it("writes nothing when the engine's dataset is refused: every upload is aborted", async () => {
    const { objects, labels } = labeledLake(300, () => true);
    const splitEngine = await engineOver(labels);
    try {
      const error = await failureOf(
        buildDataset(event({ athenaAboveImages: 10 }), { objects, labels, log: recordingLog(), splitEngine }),
      );
      expect(error.name).to.equal("DatasetTooFewBoxesError");
      nothingWritten(objects);
    } finally {
      await splitEngine.engine.close();
    }
  });

  it("stays in the Lambda at the threshold and never asks the engine", async () => {
    const { objects, labels } = labeledLake(300);
    const queries: string[] = [];
    const engine = {
      query: (sql: string) => {
        queries.push(sql);
        return Promise.reject(new Error("the engine was asked"));
      },
      // eslint-disable-next-line require-yield
      rows: async function* (sql: string) {
        queries.push(sql);
        throw new Error("the engine was asked");
      },
      close: () => Promise.resolve(),
    };
    const splitEngine = { engine, table: "labels" };
    const result = await buildDataset(event({ athenaAboveImages: 300 }), {
      objects,
      labels,
      log: recordingLog(),
      splitEngine,
    });
    expect(result.counts.train + result.counts.validation + result.counts.test).to.equal(300);
    expect(queries).to.deep.equal([]);
    objects.put("images/line-1/one-more.jpg", "x");
    const above = await failureOf(
      buildDataset(event({ athenaAboveImages: 300 }), { objects, labels, log: recordingLog(), splitEngine }),
    );
    expect(above.message).to.equal("the engine was asked");
    expect(queries).to.have.length(1);
    expect(queries[0]).to.match(/SELECT .* AS split FROM .*labels/);
  });

  it("puts every image where splitOf does, and an image keeps its split as the lake grows", async () => {
    const fractions = { train: 0.8, validation: 0.1, test: 0.1 };
    const small = labeledLake(200).labels;
    const grown = labeledLake(1000).labels;
    const splitsOf = async (labels: MemoryLabelStore) => {
      const { engine, table } = await engineOver(labels);
      try {
        const { rows } = await engine.query(datasetSplitQuery(table, fractions));
        return new Map(rows.map((row) => [String(row.image_id), String(row.split)]));
      } finally {
        await engine.close();
      }
    };
    const before = await splitsOf(small);
    const after = await splitsOf(grown);
    expect(before.size).to.equal(200);
    for (const [id, split] of after) expect(split, id).to.equal(splitOf(id, fractions));
    for (const [id, split] of before) expect(after.get(id), id).to.equal(split);
  });
});
