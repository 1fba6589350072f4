import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { DatasetRecord, datasetRecordSchema, labelsHash } from "../../contracts/dataset";
import { imageIdFromKey } from "../../contracts/labelRecord";
import { letterboxGeometry } from "../../contracts/modelManifest";
import { findPython, TRAINING_DIR } from "../../training/python";
import { NO_SCRATCHES_DATA } from "../harness/images";
import { SCRATCHES_DIR } from "../harness/scratches";
import { scratchesConversion } from "../harness/trainingData";
import { requireAllTests, skipBecause } from "../harness/skip";

const python = findPython();
const pythonRuns = spawnSync(python, ["--version"]).status === 0;

/** Runs Python code in training/ with JSON on stdin; returns what it printed as JSON. */
function runPython(code: string, input: unknown): unknown {
  const result = spawnSync(python, ["-c", code], { cwd: TRAINING_DIR, input: JSON.stringify(input), encoding: "utf8" });
  expect(result.status, result.stderr).to.equal(0);
  return JSON.parse(result.stdout);
}

describe("training: Python code", function () {
  before(function () {
    if (!pythonRuns) skipBecause(this, `${python} cannot be run; install python3 (or set QI_PYTHON) to test training/`);
  });

  it("passes its unit tests (mAP known answers, letterbox, dataset reading, export check, arguments)", function () {
    this.timeout(120_000);
    const result = spawnSync(python, ["-m", "unittest", "discover", "-s", "tests", "-v"], {
      cwd: TRAINING_DIR,
      encoding: "utf8",
    });
    const report = `${result.stdout}${result.stderr}`;
    expect(result.status, report).to.equal(0);
    const ran = Number(/Ran (\d+) tests?/.exec(report)?.[1] ?? 0);
    expect(ran, "the test modules were found").to.be.greaterThan(40);
    const skipped = report.split("\n").filter((line) => / \.\.\. skipped /.test(line));
    for (const line of skipped) console.log(`      python: ${line.trim()}`);
    if (requireAllTests()) expect(skipped, "Python tests that skipped").to.deep.equal([]);
  });

  it("letterboxes exactly like contracts/modelManifest.ts", () => {
    const sizes: [number, number, number, number][] = [
      [450, 300, 320, 320],
      [300, 450, 320, 320],
      [640, 480, 320, 320],
      [1920, 1080, 416, 416],
      [451, 299, 320, 320],
      [33, 17, 64, 64],
      [5, 3, 128, 128],
      [100, 100, 320, 320],
      [451, 301, 320, 256],
      [1000, 3, 320, 320],
      [2, 1, 5, 5], // 2.5 rounds up in JavaScript, to even in Python's round()
    ];
    const fromPython = runPython(
      "import json, sys; from letterbox import letterbox_geometry as g; print(json.dumps([g(*s) for s in json.load(sys.stdin)]))",
      sizes,
    );
    expect(fromPython).to.deep.equal(sizes.map((s) => letterboxGeometry(...s)));
  });

  it("computes labelsHash exactly like contracts/dataset.ts, whatever the numbers and key order", () => {
    const records: DatasetRecord[] = [
      { image: "images/a.jpg", image_id: imageIdFromKey("images/a.jpg"), width: 450, height: 300, annotations: [] },
      {
        image: "images/b.jpg",
        image_id: imageIdFromKey("images/b.jpg"),
        width: 450,
        height: 300,
        annotations: [
          { class_id: 0, left: 0.1, top: 81.5, width: 1e-7, height: 123456.789 },
          { class_id: 2, left: 0, top: 1e21, width: 3, height: 1 / 3 },
        ],
      },
    ];
    // Python reads the lines as written, keys in any order; the hash must not care.
    const reordered = records.map((r) => ({
      ...r,
      annotations: r.annotations.map(({ height, width, top, left, class_id }) => ({
        height,
        width,
        top,
        left,
        class_id,
      })),
    }));
    const code =
      "import json, sys; from labels_hash import labels_hash; print(json.dumps(labels_hash(json.loads(sys.stdin.read()))))";
    expect(runPython(code, reordered)).to.equal(labelsHash(records));
    expect(runPython(code, [...reordered].reverse())).to.equal(labelsHash(records));
  });

  it("computes the labelsHash of the real scratches dataset like the converter", function () {
    if (!existsSync(SCRATCHES_DIR)) skipBecause(this, NO_SCRATCHES_DATA);
    const conversion = scratchesConversion();
    const records = conversion.images.map((i) => datasetRecordSchema.parse(i.record));
    const code =
      "import json, sys; from labels_hash import labels_hash; print(json.dumps(labels_hash(json.loads(sys.stdin.read()))))";
    expect(runPython(code, records)).to.equal(conversion.summary.labelsHash);
  });
});
