import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { GreengrassV2Client } from "@aws-sdk/client-greengrassv2";
import { S3Client } from "@aws-sdk/client-s3";
import { SageMakerClient } from "@aws-sdk/client-sagemaker";
import { SFNClient } from "@aws-sdk/client-sfn";
import { expect } from "chai";
import { CliEnvironment, runCli } from "../../cli/main";
import { imageIdFromKey, LabelRecord } from "../../contracts/labelRecord";
import { localLabelStoreFile } from "../../lib/labels/duckDbLabels";
import { pipelineInputSchema } from "../../contracts/pipelineInput";
import { FileLabelStore } from "../../offline/fileLabelStore";
import { PIPELINE_STAGES } from "../../stateMachines/stages";
import { labelFor } from "../harness/labels";

async function cli(args: string[]) {
  let stdout = "";
  let stderr = "";
  const env: CliEnvironment = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    createClient: () => new SFNClient({ region: "eu-west-1" }),
    createGreengrassClient: () => new GreengrassV2Client({ region: "eu-west-1" }),
    createSageMakerClient: () => new SageMakerClient({ region: "eu-west-1" }),
    createS3Client: () => new S3Client({ region: "eu-west-1" }),
    stages: PIPELINE_STAGES,
    inputSchema: pipelineInputSchema,
    now: () => new Date(),
    sleep: () => Promise.resolve(),
    pollMs: 1,
    maxPollMs: 1,
  };
  const code = await runCli(args, env);
  return { code, stdout, stderr };
}

describe("pipeline labels on an offline run's label store", () => {
  const stateDir = mkdtempSync(path.join(tmpdir(), "qi-labels-cli-"));
  const out = path.join(stateDir, "export");
  const jobA = "qi-dev-label-run-1-aaaaaaaa";
  const jobB = "qi-dev-label-run-2-bbbbbbbb";
  const puts: LabelRecord[] = [
    labelFor("images/a.jpg", { labeling_job: jobA, event_time: 1 }),
    labelFor("images/b.jpg", { labeling_job: jobA, event_time: 2, status: "REJECTED" }),
    labelFor("images/c.png", {
      labeling_job: jobA,
      event_time: 3,
      annotations: JSON.stringify([
        { class_id: 0, left: 0, top: 0, width: 45, height: 30 },
        { class_id: 1, left: 400, top: 250, width: 50, height: 50 },
      ]),
    }),
    // b relabeled and approved by the second job; a rejected on review.
    labelFor("images/b.jpg", { labeling_job: jobB, event_time: 4, annotations: "[]" }),
    labelFor("images/a.jpg", { labeling_job: jobB, event_time: 5, status: "REJECTED" }),
  ];

  before(async () => {
    const store = new FileLabelStore(localLabelStoreFile(stateDir, "qi-dev"));
    for (const record of puts) await store.put(record);
  });
  after(() => rmSync(stateDir, { recursive: true, force: true }));

  it("counts images by the labeling job and status of their current label", async () => {
    const run = await cli(["--json", "labels", "--state-dir", stateDir]);
    expect(run.code, run.stderr).to.equal(0);
    const current = new Map<string, LabelRecord>();
    for (const record of puts) current.set(record.image_id, record);
    const expected = new Map<string, number>();
    for (const r of current.values())
      expected.set(`${r.labeling_job} ${r.status}`, (expected.get(`${r.labeling_job} ${r.status}`) ?? 0) + 1);
    const { rows } = JSON.parse(run.stdout) as { rows: { labeling_job: string; status: string; images: number }[] };
    expect(rows.map((r) => [`${r.labeling_job} ${r.status}`, r.images])).to.deep.equal(
      [...expected.entries()].sort(([a], [b]) => (a < b ? -1 : 1)),
    );
    const text = await cli(["labels", "--state-dir", stateDir]);
    expect(text.stdout.split("\n")[0].split(/\s+/)).to.deep.equal(["labeling_job", "status", "images"]);
  });

  it("shows one image's history, oldest first, by id or by key", async () => {
    const byKey = await cli(["--json", "labels", "--state-dir", stateDir, "--image", "images/a.jpg"]);
    const byId = await cli(["--json", "labels", "--state-dir", stateDir, "--image", imageIdFromKey("images/a.jpg")]);
    expect(byKey.stdout).to.equal(byId.stdout);
    const { rows } = JSON.parse(byKey.stdout) as { rows: { labeling_job: string; status: string }[] };
    expect(rows.map((r) => [r.labeling_job, r.status])).to.deep.equal([
      [jobA, "APPROVED"],
      [jobB, "REJECTED"],
    ]);
  });

  it("exports the current approved labels as COCO: boxes in pixels, categories from the stack's classes", async () => {
    const run = await cli(["labels", "--state-dir", stateDir, "--export", "coco", "--out", out]);
    expect(run.code, run.stderr).to.equal(0);
    const coco = JSON.parse(readFileSync(path.join(out, "annotations.json"), "utf8")) as {
      images: { id: number; file_name: string; width: number }[];
      annotations: { image_id: number; category_id: number; bbox: number[] }[];
      categories: { id: number; name: string }[];
    };
    expect(coco.images.map((i) => i.file_name)).to.deep.equal(["images/b.jpg", "images/c.png"]);
    expect(coco.categories.map((c) => c.name)).to.deep.equal(["scratch"]);
    expect(coco.annotations.map((a) => [a.image_id, a.category_id, a.bbox])).to.deep.equal([
      [1, 0, [0, 0, 45, 30]],
      [1, 1, [400, 250, 50, 50]],
    ]);
  });

  it("exports them as YOLO: one file per image, centre and size relative to the image", async () => {
    const run = await cli(["labels", "--state-dir", stateDir, "--export", "yolo", "--out", out]);
    expect(run.code, run.stderr).to.equal(0);
    // (22.5, 15) / (450, 300) and (425, 275) / (450, 300), sizes likewise: six decimals, rounded.
    expect(readFileSync(path.join(out, "labels/images/c.txt"), "utf8")).to.equal(
      "0 0.05 0.05 0.1 0.1\n1 0.944444 0.916667 0.111111 0.166667\n",
    );
    expect(readFileSync(path.join(out, "labels/images/b.txt"), "utf8")).to.equal("");
    expect(readFileSync(path.join(out, "classes.txt"), "utf8")).to.equal("scratch\n");
  });

  it("refuses bad flags naming the flag and the form, exit 2", async () => {
    const image = await cli(["labels", "--state-dir", stateDir, "--image", "../etc/passwd"]);
    expect(image.code).to.equal(2);
    expect(image.stderr).to.include("--image must be an image id (32 hex digits) or an image key under images/");
    const format = await cli(["labels", "--state-dir", stateDir, "--export", "voc", "--out", out]);
    expect(format.stderr).to.include("--export must be coco or yolo");
    const noOut = await cli(["labels", "--state-dir", stateDir, "--export", "coco"]);
    expect([noOut.code, noOut.stderr]).to.deep.equal([
      2,
      "error: --export needs --out <dir>, the folder to write the files into\n",
    ]);
  });
});
