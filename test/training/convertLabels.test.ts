import { expect } from "chai";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { datasetRecordSchema, datasetSummarySchema, labelsHash, splitOf } from "../../contracts/dataset";
import { imageIdFromKey } from "../../contracts/labelRecord";
import {
  conversionFlagsSchema,
  convertExport,
  ConversionOptions,
  exportRows,
  imageFileOf,
  LabelRowError,
  parseCsv,
  parsePythonLiteral,
} from "../../training/convertLabels";
import { filesBelow, writeDataset } from "../../training/datasetFromLabels";
import { NO_SCRATCHES_DATA } from "../harness/images";
import { SCRATCHES_DIR } from "../harness/scratches";
import { skipBecause } from "../harness/skip";

const HEADER = "source_ref,image_width,image_height,image_depth,annotations,event_time,labeling_job,status";
const PREFIX = "s3://${bucket}/pipeline/assets/images/2021-01-28-09-50-34";
const options: ConversionOptions = {
  datasetId: "test",
  classes: ["scratch"],
  fractions: { train: 0.8, validation: 0.1, test: 0.1 },
  createdAt: new Date("2026-11-29T00:00:00Z"),
};

function row(file: string, annotations: string, extra: Partial<Record<string, string>> = {}): string {
  const f = { time: "1657199072.0", status: "APPROVED", width: "450", ...extra };
  return `${PREFIX}/${file},${f.width},300,3,${annotations},${f.time},labeling-job/job-1,${f.status}`;
}

const files = new Set(["bad/a.jpg", "bad/b.jpg", "good/c.jpg"]);
const csv = [
  HEADER,
  row("bad/a.jpg", `"[{'class_id': 0, 'top': 123, 'left': 81, 'height': 97, 'width': 82}]"`),
  row(
    "bad/b.jpg",
    `"[{'class_id': 0, 'top': 1, 'left': 2, 'height': 3, 'width': 4}, {'class_id': 0, 'top': 5.5, 'left': 6, 'height': 7, 'width': 8}]"`,
  ),
  row("good/c.jpg", "[]"),
].join("\n");

function problemOf(text: string, available = files): LabelRowError {
  try {
    convertExport(text, available, options);
  } catch (error) {
    expect(error).to.be.instanceOf(LabelRowError);
    return error as LabelRowError;
  }
  throw new Error("expected the export to be rejected");
}

describe("training: label export converter", () => {
  describe("CSV and Python literals", () => {
    it("reads quoted fields with commas, doubled quotes and line breaks, numbering rows by their first line", () => {
      const rows = parseCsv('a,b\n"x, y","say ""hi"""\n"multi\nline",z\r\n\nlast,1');
      expect(rows.map((r) => r.fields)).to.deep.equal([
        ["a", "b"],
        ["x, y", 'say "hi"'],
        ["multi\nline", "z"],
        ["last", "1"],
      ]);
      expect(rows.map((r) => r.line)).to.deep.equal([1, 2, 3, 6]);
    });

    it("parses the Python literals Feature Store exports write, and JSON", () => {
      expect(
        parsePythonLiteral("[{'class_id': 0, 'top': 1.5, 'note': \"it's\", 'ok': True, 'x': None}]"),
      ).to.deep.equal([{ class_id: 0, top: 1.5, note: "it's", ok: true, x: null }]);
      expect(parsePythonLiteral(" [ ] ")).to.deep.equal([]);
      expect(parsePythonLiteral('[{"left": -2e1}]')).to.deep.equal([{ left: -20 }]);
      expect(() => parsePythonLiteral("[{'top': 1}")).to.throw(/expected ',' or ']'/);
      expect(() => parsePythonLiteral("[{top: 1}]")).to.throw(/expected a quoted key at character 3/);
      expect(() => parsePythonLiteral("[] x")).to.throw(/expected the end of the value/);
    });

    it("finds the image a source reference names by the longest tail of its key", () => {
      expect(imageFileOf(`${PREFIX}/bad/a.jpg`, files)).to.equal("bad/a.jpg");
      expect(imageFileOf("s3://b/elsewhere/a.jpg", new Set(["a.jpg"]))).to.equal("a.jpg");
      expect(imageFileOf(`${PREFIX}/bad/zzz.jpg`, files)).to.equal(undefined);
    });
  });

  describe("hand-written rows", () => {
    const conversion = convertExport(csv, files, options);

    it("gives each image the id of its data lake key images/<path> and the split that id decides", () => {
      const a = conversion.images.find((i) => i.imageFile === "bad/a.jpg")!;
      expect(a.record.image_id).to.equal(imageIdFromKey("images/bad/a.jpg"));
      expect(a.record.image).to.equal("images/bad/a.jpg");
      expect(a.split).to.equal(splitOf(a.record.image_id));
    });

    it("turns Ground Truth boxes into dataset boxes, empty annotations into a clean image", () => {
      const byFile = Object.fromEntries(conversion.images.map((i) => [i.imageFile, i.record]));
      expect(byFile["bad/a.jpg"].annotations).to.deep.equal([
        { class_id: 0, left: 81, top: 123, width: 82, height: 97 },
      ]);
      expect(byFile["bad/b.jpg"].annotations[1]).to.deep.equal({ class_id: 0, left: 6, top: 5.5, width: 8, height: 7 });
      expect(byFile["good/c.jpg"].annotations).to.deep.equal([]);
      for (const record of Object.values(byFile)) expect(datasetRecordSchema.safeParse(record).success).to.equal(true);
    });

    it("summarises counts, boxes and the labels hash", () => {
      const { summary } = conversion;
      expect(datasetSummarySchema.safeParse(summary).success).to.equal(true);
      expect(summary.counts.train + summary.counts.validation + summary.counts.test).to.equal(3);
      expect(summary.boxes.train + summary.boxes.validation + summary.boxes.test).to.equal(3);
      expect(summary.labelsHash).to.equal(labelsHash(conversion.images.map((i) => i.record)));
    });

    it("keeps the newest label of an image and leaves out rejected ones, saying which rows", () => {
      const newer = row("bad/a.jpg", "[]", { time: "1757199072.0" });
      const rejected = row("bad/b.jpg", "[]", { status: "REJECTED" });
      const result = convertExport(`${csv}\n${newer}\n${rejected}`, files, options);
      expect(result.images.find((i) => i.imageFile === "bad/a.jpg")!.record.annotations).to.deep.equal([]);
      expect(result.skipped).to.deep.equal([
        { line: 2, reason: "line 5 labels the same image later" },
        { line: 6, reason: "status REJECTED" },
      ]);
    });
  });

  describe("malformed rows name the line and the field", () => {
    const cases: [string, string, RegExp][] = [
      ["unparseable annotations", row("bad/a.jpg", `"[{'top': 1,"`), /^line 2, field annotations: expected/],
      [
        "a negative width",
        row("bad/a.jpg", `"[{'class_id': 0, 'top': 1, 'left': 2, 'height': 3, 'width': -4}]"`),
        /^line 2, field annotations: must be a JSON array/,
      ],
      [
        "a class without a name",
        row("bad/a.jpg", `"[{'class_id': 1, 'top': 1, 'left': 2, 'height': 3, 'width': 4}]"`),
        /^line 2, field annotations: class_id 1 has no class name/,
      ],
      [
        "a width that is not a number",
        row("bad/a.jpg", "[]", { width: "wide" }),
        /^line 2, field image_width: .*\(got "wide"\)/,
      ],
      ["an unknown status", row("bad/a.jpg", "[]", { status: "MAYBE" }), /^line 2, field status: .*\(got "MAYBE"\)/],
      [
        "a missing image",
        row("bad/nope.jpg", "[]"),
        /^line 2, field source_ref: no image file matches .*bad\/nope.jpg/,
      ],
      [
        "a reference that is not s3://",
        row("bad/a.jpg", "[]").replace("s3://${bucket}/", "https://x/"),
        /^line 2, field source_ref: must look like s3/,
      ],
      [
        "a missing field",
        `${row("bad/a.jpg", "[]").split(",").slice(0, 7).join(",")}`,
        /^line 2, field \(row\): has 7 fields, the header has 8/,
      ],
    ];
    for (const [what, text, message] of cases) {
      it(`rejects ${what}`, () => {
        expect(problemOf(`${HEADER}\n${text}`).message).to.match(message);
      });
    }

    it("rejects a header without the export's columns", () => {
      expect(problemOf("source_ref,status\n").message).to.match(
        /^line 1, field \(header\): missing column\(s\) image_width/,
      );
    });
  });

  describe("writing a dataset", () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(path.join(tmpdir(), "qi-dataset-"));
      for (const file of files) {
        mkdirSync(path.join(dir, "images", path.dirname(file)), { recursive: true });
        writeFileSync(path.join(dir, "images", file), `jpeg of ${file}`);
      }
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it("writes one annotations.jsonl per split, copies each image where its record says, and a summary", () => {
      const conversion = convertExport(csv, filesBelow(path.join(dir, "images")), options);
      const out = path.join(dir, "dataset");
      writeDataset(conversion, path.join(dir, "images"), out);
      for (const image of conversion.images) {
        const lines = readFileSync(path.join(out, image.split, "annotations.jsonl"), "utf8")
          .trim()
          .split("\n");
        expect(lines.map((l) => JSON.parse(l))).to.deep.include(image.record);
        expect(readFileSync(path.join(out, image.split, image.record.image), "utf8")).to.equal(
          `jpeg of ${image.imageFile}`,
        );
      }
      expect(JSON.parse(readFileSync(path.join(out, "summary.json"), "utf8"))).to.deep.equal({
        ...conversion.summary,
      });
      expect(() => writeDataset(conversion, path.join(dir, "images"), out)).to.throw(/already holds a dataset/);
    });
  });

  describe("command-line flags", () => {
    const flags = {
      labels: "l.csv",
      images: "i",
      out: "o",
      datasetId: "d",
      classes: "scratch",
      fractions: "0.7,0.1,0.2",
    };
    it("take a split method and its seed", () => {
      expect(conversionFlagsSchema.parse({ ...flags, split: "stratified", seed: "3" })).to.deep.include({
        split: "stratified",
        seed: 3,
      });
    });
    it("refuse an unknown split method or seed, naming the flag", () => {
      const problems = (extra: Record<string, string>) =>
        conversionFlagsSchema
          .safeParse({ ...flags, split: "stratified", seed: "0", ...extra })
          .error?.issues.map((issue) => issue.message);
      expect(problems({ split: "random" })).to.deep.equal(["--split must be image-id-hash or stratified"]);
      expect(problems({ seed: "-1" })).to.deep.equal(["--seed must be a whole number >= 0"]);
    });
  });

  describe("the real export in ../shared/datasets/scratches", function () {
    before(function () {
      if (!existsSync(SCRATCHES_DIR)) skipBecause(this, NO_SCRATCHES_DATA);
    });

    it("converts every row, boxes inside their 450x300 images, splits near 80/10/10", () => {
      const text = readFileSync(path.join(SCRATCHES_DIR, "labels", "labels.csv"), "utf8");
      const conversion = convertExport(text, filesBelow(path.join(SCRATCHES_DIR, "images")), options);
      expect(exportRows(text)).to.have.length(235);
      expect(conversion.images).to.have.length(235);
      expect(conversion.skipped).to.deep.equal([]);
      const clean = conversion.images.filter((i) => i.record.annotations.length === 0);
      expect(clean.map((i) => i.imageFile.split("/")[0])).to.deep.equal(["good", "good", "good", "good", "good"]);
      for (const { record } of conversion.images) {
        for (const box of record.annotations) {
          expect(box.left + box.width).to.be.at.most(record.width);
          expect(box.top + box.height).to.be.at.most(record.height);
        }
      }
      const { counts } = conversion.summary;
      expect(counts.train / 235).to.be.closeTo(0.8, 0.06);
      expect(counts.validation).to.be.greaterThan(10);
      expect(counts.test).to.be.greaterThan(10);
      // The first row of the file, as its own line: left 81, top 123 (Ground Truth's order differs from ours).
      const first = conversion.images.find((i) =>
        i.imageFile.endsWith("image-2020-04-22-11-07-29-26-cropped-left-top.jpg"),
      )!;
      expect(first.record.annotations[0]).to.deep.equal({ class_id: 0, left: 81, top: 123, width: 82, height: 97 });
      expect(conversion.summary.split).to.deep.equal({ method: "image-id-hash" });
    });

    it("splits stratified by whether an image has boxes, seeded: the evaluation protocol of the demo model", () => {
      const text = readFileSync(path.join(SCRATCHES_DIR, "labels", "labels.csv"), "utf8");
      const images = filesBelow(path.join(SCRATCHES_DIR, "images"));
      const protocol: ConversionOptions = {
        ...options,
        fractions: { train: 0.7, validation: 0.1, test: 0.2 },
        split: { method: "stratified", seed: 0 },
      };
      const conversion = convertExport(text, images, protocol);
      expect(conversion.summary.counts).to.deep.equal({ train: 164, validation: 24, test: 47 });
      const clean = (split: string) =>
        conversion.images.filter((i) => i.split === split && i.record.annotations.length === 0).length;
      expect([clean("train"), clean("validation"), clean("test")]).to.deep.equal([3, 1, 1]);
      expect(conversion.summary.split).to.deep.equal({ method: "stratified", seed: 0 });
      const again = convertExport(text, images, protocol);
      expect(again.images.map((i) => i.split)).to.deep.equal(conversion.images.map((i) => i.split));
      const other = convertExport(text, images, { ...protocol, split: { method: "stratified", seed: 1 } });
      expect(other.summary.counts).to.deep.equal(conversion.summary.counts);
      expect(other.images.map((i) => i.split)).to.not.deep.equal(conversion.images.map((i) => i.split));
    });
  });
});
