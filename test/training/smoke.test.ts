import { expect } from "chai";
import { Jimp } from "jimp";
import { spawn, spawnSync, SpawnSyncReturns } from "node:child_process";
import { AddressInfo, createServer } from "node:net";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import * as ort from "onnxruntime-node";
import { SPLITS } from "../../contracts/dataset";
import { modelManifestSchema } from "../../contracts/modelManifest";
import { Conversion, convertExport } from "../../training/convertLabels";
import { filesBelow, writeDataset } from "../../training/datasetFromLabels";
import { checkTorch, findPython, TORCH_INSTALL_HINT, TRAIN_OUTPUTS, TRAIN_SCRIPT } from "../../training/python";
import { readCheck, readTensor, verifyOnnx } from "../../training/verifyOnnx";
import { skipBecause } from "../harness/skip";
import { epochSeconds } from "../../scripts/bench-train";

const IMAGES = 14;
const WIDTH = 96;
const HEIGHT = 64;
// The model input: as wide as the images (width x height), so the letterbox adds no padding.
const INPUT = { width: 96, height: 64 };
const METRIC_NAMES = [
  "train_loss",
  ...["validation", "test"].flatMap((split) =>
    ["map50_95", "map50", "precision", "recall"].map((m) => `${split}_${m}`),
  ),
];

/** Grey parts with dark straight "scratches", and a few without; the export rows that label them. */
async function syntheticExport(imagesDir: string): Promise<string> {
  const rows = ["source_ref,image_width,image_height,image_depth,annotations,event_time,labeling_job,status"];
  for (let i = 0; i < IMAGES; i += 1) {
    const image = new Jimp({ width: WIDTH, height: HEIGHT, color: 0x9a9a9aff });
    const boxes: string[] = [];
    if (i % 5 !== 4) {
      const left = 8 + ((i * 13) % 50);
      const top = 6 + ((i * 7) % 30);
      const [width, height] = i % 2 ? [30, 8] : [8, 24];
      for (let x = left; x < left + width; x += 1) {
        for (let y = top; y < top + height; y += 1) image.setPixelColor(0x202020ff, x, y);
      }
      boxes.push(`{'class_id': 0, 'top': ${top}, 'left': ${left}, 'height': ${height}, 'width': ${width}}`);
    }
    const folder = boxes.length ? "bad" : "good";
    mkdirSync(path.join(imagesDir, folder), { recursive: true });
    await image.write(`${path.join(imagesDir, folder, `part-${i}`)}.jpg`);
    const ref = `s3://bucket/images/${folder}/part-${i}.jpg`;
    rows.push(`${ref},${WIDTH},${HEIGHT},3,"[${boxes.join(", ")}]",1700000000.0,labeling-job/smoke,APPROVED`);
  }
  return rows.join("\n");
}

/**
 * Each split as SageMaker delivers a ManifestFile channel whose prefix is the bucket root: the annotations at
 * `datasets/<id>/<split>/annotations.jsonl`, the images at their data lake keys, the summary beside the splits.
 */
function sagemakerChannels(datasetDir: string, conversion: Conversion, root: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const split of SPLITS) {
    const channel = path.join(root, split);
    const dataset = path.join(channel, "datasets", "smoke");
    mkdirSync(path.join(dataset, split), { recursive: true });
    cpSync(path.join(datasetDir, split, "annotations.jsonl"), path.join(dataset, split, "annotations.jsonl"));
    cpSync(path.join(datasetDir, "summary.json"), path.join(dataset, "summary.json"));
    for (const image of conversion.images.filter((i) => i.split === split)) {
      cpSync(path.join(datasetDir, split, image.record.image), path.join(channel, image.record.image));
    }
    env[`SM_CHANNEL_${split.toUpperCase()}`] = channel;
  }
  return env;
}

describe("training: smoke run of train.py (synthetic images, 1 epoch, SageMaker layout)", function () {
  this.timeout(600_000);
  const python = findPython();
  let dir: string;
  let conversion: Conversion;
  let run: SpawnSyncReturns<string>;
  let modelDir: string;
  let outputDir: string;
  let env: NodeJS.ProcessEnv;
  let args: string[];

  before(async function () {
    const torch = checkTorch(python);
    if (!torch.ok) skipBecause(this, `${torch.detail}; to run it, ${TORCH_INSTALL_HINT}`);
    dir = mkdtempSync(path.join(tmpdir(), "qi-train-smoke-"));
    const imagesDir = path.join(dir, "lake", "images");
    const csv = await syntheticExport(imagesDir);
    // Fractions that put several of the 14 images in every split (the split is a hash of the id: checked below).
    const options = { train: 0.5, validation: 0.25, test: 0.25 };
    conversion = convertExport(csv, filesBelow(imagesDir), {
      datasetId: "smoke",
      classes: ["scratch"],
      fractions: options,
      createdAt: new Date(),
    });
    writeDataset(conversion, imagesDir, path.join(dir, "dataset"));
    modelDir = path.join(dir, "opt", "ml", "model");
    outputDir = path.join(dir, "opt", "ml", "output", "data");
    env = {
      ...process.env,
      ...sagemakerChannels(path.join(dir, "dataset"), conversion, path.join(dir, "opt", "ml", "input", "data")),
      SM_MODEL_DIR: modelDir,
      SM_OUTPUT_DATA_DIR: outputDir,
      SM_TRAINING_ENV: JSON.stringify({ job_name: "qi-smoke-job" }),
    };
    args = ["--epochs", "1", "--batch-size", "4", "--image-size", `${INPUT.width}x${INPUT.height}`, "--seed", "0"];
    args.push("--class-names", "scratch", "--pretrained", "none", "--check-images", "2");
    args.push("--sagemaker_program", "train.py");
    run = spawnSync(python, [TRAIN_SCRIPT, ...args], { env, encoding: "utf8" });
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("has images in every split", () => {
    for (const split of SPLITS) expect(conversion.summary.counts[split], split).to.be.greaterThan(1);
  });

  it("finishes, ignoring the arguments it does not know, and prints progress and scrapeable metrics", () => {
    expect(run.status, `${run.stdout}\n${run.stderr}`).to.equal(0);
    expect(run.stdout).to.include("ignoring arguments this script does not use: --sagemaker_program train.py");
    expect(run.stdout, "summary.json and the annotations read agree").to.not.include("warning");
    expect(run.stdout).to.match(/^epoch 1\/1: loss [0-9.]+, lr [0-9.]+, [0-9.]+ s$/m);
    const [seconds, ...more] = epochSeconds(run.stdout);
    expect(seconds, "the line bench:train times epochs by").to.be.greaterThan(0);
    expect(more).to.deep.equal([]);
    for (const name of METRIC_NAMES) expect(run.stdout).to.match(new RegExp(`^metric: ${name}=([0-9.]+)$`, "m"));
    // As in SageMaker, nobody checks the export after the job, so it checks itself or says how to.
    expect(run.stdout).to.match(
      /^ONNX vs PyTorch: (agree: .*|onnxruntime is not importable here; check later with `npm run train:verify-onnx -- --model \S+ --check \S+`)$/m,
    );
  });

  it("writes metrics.json with every split's metrics in range", () => {
    const metrics = JSON.parse(readFileSync(path.join(modelDir, TRAIN_OUTPUTS.metrics), "utf8"));
    for (const split of ["validation", "test"] as const) {
      expect(metrics[split].images).to.equal(conversion.summary.counts[split]);
      for (const name of ["map50_95", "map50", "precision", "recall"]) {
        expect(metrics[split][name], `${split}.${name}`).to.be.within(0, 1);
      }
      expect(metrics[split].map50_95).to.be.at.most(metrics[split].map50);
    }
    expect(metrics.trainLoss).to.be.greaterThan(0);
    expect(metrics.epochs).to.equal(1);
  });

  it("writes a model.json the model manifest schema accepts, with the dataset's hash and the job's name", () => {
    const manifest = modelManifestSchema.parse(JSON.parse(readFileSync(path.join(modelDir, "model.json"), "utf8")));
    const metrics = JSON.parse(readFileSync(path.join(modelDir, TRAIN_OUTPUTS.metrics), "utf8"));
    expect(manifest).to.deep.include({ file: TRAIN_OUTPUTS.model, layout: "torchvision", labelOffset: 1 });
    expect(manifest.input).to.deep.equal({ name: "images", ...INPUT, padValue: 114 });
    expect(manifest.classes).to.deep.equal(["scratch"]);
    // chosen on validation (--score-threshold auto), and what P/R were measured at
    const chosen = Number(/^score threshold: ([0-9.]+) \(/m.exec(run.stdout)?.[1]);
    expect(manifest.scoreThreshold).to.equal(chosen);
    expect(metrics.scoreThreshold).to.equal(chosen);
    expect(manifest.version).to.equal("qi-smoke-job");
    expect(manifest.metrics).to.deep.equal({ validation: metrics.validation, test: metrics.test });
    expect(manifest.training?.dataHash).to.equal(conversion.summary.labelsHash);
    expect(manifest.training?.epochs).to.equal(1);
    expect(existsSync(path.join(outputDir, TRAIN_OUTPUTS.checkpoint)), "the weights are kept").to.equal(true);
  });

  it("gives every mAP its 95 % bootstrap interval, prints it, and records the split and the predictions", () => {
    const manifest = modelManifestSchema.parse(JSON.parse(readFileSync(path.join(modelDir, "model.json"), "utf8")));
    for (const split of ["validation", "test"] as const) {
      const metrics = manifest.metrics[split]!;
      const interval = metrics.interval!;
      expect(interval).to.deep.include({ level: 0.95, resamples: 2000, seed: 0 });
      for (const name of ["map50_95", "map50"] as const) {
        const [low, high] = interval[name];
        expect(metrics[name], `${split}.${name} inside its interval`).to.be.within(low - 1e-4, high + 1e-4);
        const line = new RegExp(
          `^${split} \\(\\d+ images\\):.* ${name === "map50" ? "mAP50" : "mAP50-95"} [0-9.]+ \\(95% CI ${low.toFixed(3)}-${high.toFixed(3)}\\)`,
          "m",
        );
        expect(run.stdout).to.match(line);
      }
    }
    const { counts } = conversion.summary;
    expect(manifest.training?.split).to.deep.include({
      method: "image-id-hash",
      images: { train: counts.train, validation: counts.validation, test: counts.test },
    });
    const predictions = JSON.parse(readFileSync(path.join(outputDir, "predictions.json"), "utf8"));
    expect(predictions.test.truths).to.have.length(counts.test);
    expect(predictions.validation.detections).to.have.length(counts.validation);
  });

  it("exports an ONNX model that onnxruntime-node runs with the torchvision layout", async () => {
    const session = await ort.InferenceSession.create(path.join(modelDir, TRAIN_OUTPUTS.model));
    try {
      expect(session.inputNames).to.deep.equal(["images"]);
      expect(session.outputNames).to.deep.equal(["boxes", "scores", "labels"]);
      const checkFolder = path.join(outputDir, TRAIN_OUTPUTS.checkFolder);
      const check = readCheck(checkFolder);
      expect(check.input.shape).to.deep.equal([1, 3, INPUT.height, INPUT.width]);
      const outputs = await session.run({
        images: readTensor(path.join(checkFolder, check.images[0].tensor), check.input.shape),
      });
      const n = outputs.scores.dims[0];
      expect(outputs.boxes.dims).to.deep.equal([n, 4]);
      expect(outputs.scores.dims).to.deep.equal([n]);
      expect(outputs.labels.dims).to.deep.equal([n]);
      expect(outputs.labels.type).to.equal("int64");
      expect(n).to.be.at.most(100);
      for (const label of outputs.labels.data as BigInt64Array) expect(Number(label)).to.equal(1);
    } finally {
      await session.release();
    }
  });

  it("exports a model that finds what the PyTorch model finds", async () => {
    const checkFolder = path.join(outputDir, TRAIN_OUTPUTS.checkFolder);
    const agreement = await verifyOnnx(path.join(modelDir, TRAIN_OUTPUTS.model), checkFolder);
    expect(agreement.ok, agreement.report).to.equal(true);
    const report = JSON.parse(/^agreement: (.*)$/m.exec(agreement.report)![1]);
    expect(report.paired, "detections were compared").to.be.greaterThan(0);
  });

  it("trains data-parallel in two processes (gloo): each trains its shard, one writes the model", async function () {
    const twoDir = path.join(dir, "two");
    const port = await freePort();
    // What torchrun gives each process (Debian's torch 1.13 torchrun fails on Python 3.11, so the test launches them).
    const processes = [0, 1].map((rank) =>
      spawnCollect(python, [TRAIN_SCRIPT, ...args], {
        ...env,
        SM_MODEL_DIR: path.join(twoDir, "model"),
        SM_OUTPUT_DATA_DIR: path.join(twoDir, "output"),
        RANK: String(rank),
        LOCAL_RANK: String(rank),
        WORLD_SIZE: "2",
        LOCAL_WORLD_SIZE: "2",
        MASTER_ADDR: "127.0.0.1",
        MASTER_PORT: String(port),
      }),
    );
    const [main, other] = await Promise.all(processes);
    expect(main.status, main.output).to.equal(0);
    expect(other.status, other.output).to.equal(0);
    expect(main.output).to.include("process 0 of 2 (cpu)");
    expect(other.output).to.include("process 1 of 2 (cpu)");
    expect(other.output).to.include("process 1: trained its shard; the main process writes the model");
    // Both train an epoch; only the main one evaluates and exports.
    for (const p of [main, other]) expect(p.output).to.match(/^epoch 1\/1: loss /m);
    expect(main.output).to.match(/^exported /m);
    expect(other.output).to.not.match(/^exported |^validation /m);
    const manifest = modelManifestSchema.parse(
      JSON.parse(readFileSync(path.join(twoDir, "model", "model.json"), "utf8")),
    );
    expect(manifest.metrics.validation.images).to.equal(conversion.summary.counts.validation);
    expect(existsSync(path.join(twoDir, "model", manifest.file))).to.equal(true);
  });
});

/** A free TCP port on this machine, for the process group's rendezvous. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Runs a process to its end; its exit status and its stdout and stderr together. */
function spawnCollect(
  command: string,
  argv: string[],
  environment: NodeJS.ProcessEnv,
): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, argv, { env: environment });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.on("close", (status) => resolve({ status, output }));
  });
}
