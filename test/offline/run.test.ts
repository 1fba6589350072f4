import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { deviceImagesPrefix } from "../../contracts/dataLake";
import { imageIdFromKey } from "../../contracts/labelRecord";
import { localLakeRoot, openResultsEngine } from "../../lib/results/duckDbResults";
import { SYNTHETIC_PREFIX } from "../../offline/dataSources";
import { FileLabelStore } from "../../offline/fileLabelStore";
import { main } from "../../offline/main";
import { displayPath } from "../../offline/report";
import { OfflineOptions, OfflineResult, runOffline } from "../../offline/run";
import { synthesizePart, syntheticImageName } from "../../offline/synthetic";
import { PIPELINE_STAGES } from "../../stateMachines/stages";
import { checkTorch, findPython } from "../../training/python";
import { tempDir } from "../harness/modelFolders";
import { PROJECT_DIR } from "../harness/pulumiProgram";
import { skipBecause } from "../harness/skip";

const STAGE_OF = new Map(PIPELINE_STAGES.flatMap((stage) => stage.states.map((state) => [state, stage.name])));

/** The stages in the order the run went through them (each once, as it first entered one of its states). */
const stagesInOrder = (result: OfflineResult) => [...new Set(result.path.map((state) => STAGE_OF.get(state)))];

function options(workDir: string, overrides: Partial<OfflineOptions> = {}): OfflineOptions {
  return {
    projectDir: PROJECT_DIR,
    stack: "dev",
    workDir,
    clean: true,
    images: 40,
    seed: 1,
    cameraImages: 4,
    skipTraining: true,
    config: {},
    edgeSeconds: 1,
    edgeInterval: 0.2,
    keepRunning: false,
    viewerPort: null,
    ...overrides,
  };
}

const store = (workDir: string) => new FileLabelStore(path.join(workDir, "label-store", "qi-dev-labels.jsonl"));

/** Keys of the images the local device sent back for labeling. */
function sentBack(workDir: string): string[] {
  const root = path.join(workDir, "bucket");
  const folder = path.join(root, deviceImagesPrefix("qi-dev-local-device"));
  if (!existsSync(folder)) return [];
  return readdirSync(folder, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && /\.(jpe?g|png)$/i.test(entry.name))
    .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)).split(path.sep).join("/"));
}

describe("offline: npm start runs the whole pipeline on this machine", function () {
  const dir = tempDir("offline-run");
  after(() => rmSync(dir, { recursive: true, force: true }));

  describe("a first run on synthetic parts, with the demo model", () => {
    const workDir = path.join(dir, "happy");
    const lines: string[] = [];
    let result: OfflineResult;

    before(async () => {
      // Every camera image goes back for labeling (dev caps it at 10 an hour), so the loop is seen closing.
      const config = { "qualityinspection:edge.uncertainty.randomRate": "1" };
      result = await runOffline(options(workDir, { viewerPort: 0, config }), { print: (line) => lines.push(line) });
    });

    it("succeeds and deploys", () => {
      expect(result.status, lines.join("\n")).to.equal("SUCCEEDED");
      expect(result.outcome).to.equal("deployed");
      expect(result.deployed).to.equal(true);
    });

    it("goes through every stage in order, and prints each as it starts and ends", () => {
      expect(stagesInOrder(result)).to.deep.equal(
        PIPELINE_STAGES.map((s) => s.name).filter((n) => n !== "Failure notice"),
      );
      expect(result.stages.map((s) => [s.name, s.status])).to.deep.equal(
        PIPELINE_STAGES.map((s) => [s.name, s.name === "Failure notice" ? "skipped" : "succeeded"]),
      );
      for (const stage of PIPELINE_STAGES.slice(0, -1)) {
        const running = lines.findIndex((l) => l.endsWith(`] ${stage.name}: running`));
        const done = lines.findIndex((l) => new RegExp(`\\] ${stage.name}: succeeded in \\d+`).test(l));
        expect(running, stage.name).to.be.greaterThan(-1);
        expect(done, stage.name).to.be.greaterThan(running);
      }
    });

    it("puts the workforce's labels into the local label store, one approved record per image with the true boxes", async () => {
      const store = new FileLabelStore(path.join(workDir, "label-store", "qi-dev-labels.jsonl"));
      const records = await store.all();
      expect(records).to.have.length(40);
      expect(records.every((r) => r.status === "APPROVED")).to.equal(true);
      const key = `${SYNTHETIC_PREFIX}${syntheticImageName(7)}`;
      const record = records.find((r) => r.image_id === imageIdFromKey(key))!;
      expect(JSON.parse(record.annotations)).to.deep.equal(synthesizePart(1, 7).annotations);
      expect(result.labeled).to.equal(40);
    });

    it("passes the gate and registers the model as Approved", () => {
      expect(result.evaluation).to.include({ passed: true, approvalStatus: "Approved" });
      expect(result.map50_95).to.equal(result.evaluation!.metrics.validation.map50_95);
      const registry = JSON.parse(readFileSync(path.join(workDir, "model-registry.json"), "utf8"));
      expect(registry.packages.map((p: { ModelApprovalStatus: string }) => p.ModelApprovalStatus)).to.deep.equal([
        "Approved",
      ]);
    });

    it("optimises the model and checks it against the original on golden images", () => {
      expect(result.compiled?.goldenImages).to.be.greaterThan(0);
      expect(result.compiled?.maxAbsDiff).to.be.at.most(1e-3);
    });

    it("deploys the model component to the local device, whose detector sends results valid against the payload schema", () => {
      expect(result.deployment).to.include({ componentVersion: "1.0.1" });
      expect(result.deployment?.secondsToFirstResult).to.be.a("number");
      const artifacts = path.join(
        workDir,
        "greengrass",
        "device",
        "packages",
        "artifacts",
        "qi-dev.ScratchDetectorModel",
        "1.0.1",
      );
      expect(existsSync(path.join(artifacts, "model.onnx"))).to.equal(true);
      expect(existsSync(path.join(artifacts, "model.json"))).to.equal(true);
      expect(result.detectionsReceived).to.be.greaterThan(0);
      expect(result.edge.invalid).to.equal(0);
      expect(result.edge.errors).to.equal(0);
      expect(result.notifications).to.deep.equal([]);
    });

    it("shows the results in the live viewer while it runs", () => {
      expect(result.viewerUrl).to.match(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      expect(lines).to.include(`viewer: ${result.viewerUrl} shows the detector's results as they arrive`);
    });

    it("stores every result under the local data lake's results/, where the named queries find them", async () => {
      expect(result.stored).to.deep.equal({ results: result.edge.results, errors: 0 });
      const engine = await openResultsEngine(localLakeRoot(workDir));
      try {
        const { rows } = await engine.query(
          "SELECT count(DISTINCT messageid) AS n, count(DISTINCT device) AS devices FROM results",
        );
        // The detector kept publishing until the run stopped it: those results are stored too.
        expect(rows[0].devices).to.equal(1);
        expect(rows[0].n).to.be.at.least(result.stored.results);
      } finally {
        await engine.close();
      }
      const rate = ((result.edge.withDetections / result.edge.results) * 100).toFixed(1);
      expect(lines).to.include(
        `  results     ${result.edge.results} stored under results/ — defect rate ${rate} % ` +
          `(query: npm run pipeline -- results --state-dir ${displayPath(workDir)})`,
      );
    });

    it("lets the detector send the images it was unsure about back into the local data lake", () => {
      expect(result.sentForLabeling).to.be.within(1, 10);
      expect(sentBack(workDir)).to.have.length(result.sentForLabeling);
      expect(
        lines.some((l) => l.includes(`${result.sentForLabeling} camera images the detector was unsure about`)),
      ).to.equal(true);
    });

    it("continues from its state in a second run: a new batch of parts is labeled and model component 1.0.2 deployed", async () => {
      const sentInFirstRun = sentBack(workDir);
      const lines: string[] = [];
      // 90 images, above the threshold: DuckDB over the label store file splits them, as Athena would in AWS.
      const config = { "qualityinspection:dataset.athenaAboveImages": "60" };
      const again = await runOffline(options(workDir, { clean: false, config }), { print: (line) => lines.push(line) });
      expect(again.status, lines.join("\n")).to.equal("SUCCEEDED");
      expect(result.dataset?.splitBy, "the first run's 40 images stay in the Lambda").to.equal("lambda");
      expect(again.dataset?.splitBy).to.equal("query");
      expect(lines.some((l) => l.includes("(split by DuckDB over the label store"))).to.equal(true);
      expect(again.data).to.include({ images: 90, added: 50, earlierLabels: 0 });
      expect(again.labeled).to.equal(50);
      expect(await new FileLabelStore(path.join(workDir, "label-store", "qi-dev-labels.jsonl")).all()).to.have.length(
        90,
      );
      expect(again.deployment).to.include({ componentVersion: "1.0.2", status: "SUCCEEDED" });
      expect(again.deployed).to.equal(true);
      // The loop closes: what the device sent back in the first run was labeled in the second.
      const labeled = new Set((await store(workDir).all()).map((record) => record.image_id));
      for (const key of sentInFirstRun) expect(labeled.has(imageIdFromKey(key)), key).to.equal(true);
    });
  });

  it("fails a stage as a real execution fails: the failed state, its error and Lambda's cause, one alert, exit 1", async () => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(
      [
        ...["node", "start", "--state-dir", path.join(dir, "too-small"), "--clean", "--skip-training"],
        ...["--images", "30", "--config", "dataset.minImages=1000", "--json"],
      ],
      { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) } },
    );
    expect(code, err.join("")).to.equal(1);
    const human = err.join("");
    expect(human).to.contain("failed state: BuildDataset");
    expect(human).to.contain("error: DatasetTooSmallError");
    expect(human).to.match(
      /cause: \{"errorType":"DatasetTooSmallError","errorMessage":"the label store has 30 approved/,
    );
    expect(human).to.contain("alert to arn:aws:sns:eu-west-1:000000000000:qi-dev-pipeline-alerts");
    const summary = JSON.parse(out.join("").trim().split("\n").at(-1)!);
    expect(summary).to.include({ deployed: false, detectionsReceived: 0, map50_95: null, status: "FAILED" });
    expect(summary.stages.find((s: { name: string }) => s.name === "Dataset").status).to.equal("failed");
    expect(summary.stages.find((s: { name: string }) => s.name === "Training").status).to.equal("skipped");
    expect(summary.stages.find((s: { name: string }) => s.name === "Failure notice").status).to.equal("succeeded");
    expect(summary.wallSeconds).to.be.a("number");
  });

  it("deploys nothing when the model misses the gate: registered as Rejected, no deployment, no results", async () => {
    const lines: string[] = [];
    const result = await runOffline(
      options(path.join(dir, "strict-gate"), {
        images: 30,
        config: { "qualityinspection:evaluation.minMap50_95": "0.9" },
      }),
      { print: (line) => lines.push(line) },
    );
    expect(result.status, lines.join("\n")).to.equal("SUCCEEDED");
    expect(result.outcome).to.equal("rejected");
    // The run ships the demo model (no training with these options): its own validation score is what the gate read.
    const demo = JSON.parse(readFileSync(path.join(PROJECT_DIR, "models", "demo", "model.json"), "utf8")) as {
      metrics: { validation: { map50_95: number } };
    };
    expect(result.evaluation?.reason).to.equal(
      `validation mAP50-95 ${demo.metrics.validation.map50_95.toFixed(3)} is below the threshold 0.900 (evaluation.minMap50_95)`,
    );
    expect(result.deployed).to.equal(false);
    expect(result.deployment).to.equal(null);
    expect(result.detectionsReceived).to.equal(0);
    expect(result.stages.filter((s) => s.status === "skipped").map((s) => s.name)).to.deep.equal([
      "Compilation",
      "Deployment",
      "Failure notice",
    ]);
    expect(existsSync(path.join(dir, "strict-gate", "greengrass", "device"))).to.equal(false);
  });

  it("deploys nothing when the trained model misses the gate (train.py, one epoch)", async function () {
    const torch = checkTorch(findPython());
    if (!torch.ok) skipBecause(this, `${torch.detail}`);
    const lines: string[] = [];
    const result = await runOffline(
      options(path.join(dir, "rejected"), {
        images: 30,
        skipTraining: false,
        config: { "qualityinspection:training.epochs": "1", "qualityinspection:training.imageSize": "64" },
      }),
      { print: (line) => lines.push(line) },
    );
    expect(result.status, lines.join("\n")).to.equal("SUCCEEDED");
    expect(result.training?.mode).to.equal("python");
    expect(lines.some((l) => l.includes("training │ epoch 1/1"))).to.equal(true);
    // The job checks its own ONNX export against PyTorch, as the SageMaker job does.
    expect(lines.some((l) => l.includes("training │ ONNX (onnxruntime-node) vs PyTorch:"))).to.equal(true);
    // …so train.py does not ask for that check by hand.
    expect(lines.filter((l) => l.includes("train:verify-onnx"))).to.deep.equal([]);
    expect(result.outcome).to.equal("rejected");
    expect(result.evaluation).to.include({ passed: false, approvalStatus: "Rejected" });
    expect(result.deployed).to.equal(false);
    expect(result.deployment).to.equal(null);
    expect(result.detectionsReceived).to.equal(0);
    expect(stagesInOrder(result)).to.deep.equal([
      "Start",
      "Find unlabeled images",
      "Labeling",
      "Dataset",
      "Training",
      "Evaluation and registry",
    ]);
  });

  it("refuses bad flags with the flag and the form it wants (exit 2)", async () => {
    const run = async (...args: string[]) => {
      const err: string[] = [];
      const code = await main(["node", "start", ...args], {
        stdout: { write: () => true },
        stderr: { write: (s: string) => err.push(s) },
      });
      return { code, err: err.join("") };
    };
    expect(await run("--images", "0")).to.deep.equal({
      code: 2,
      err: 'npm start: --images must be a whole number from 1 to 100000 (got "0")\n',
    });
    expect((await run("--stack", "staging")).err).to.contain("--stack must name a stack with a Pulumi.<stack>.yaml");
    expect((await run("--dataset", dir)).err).to.contain(
      "--dataset must be a folder holding images/ and labels/labels.csv",
    );
    expect((await run("--config", "training.epochs=lots")).err).to.contain(
      'qualityinspection:training.epochs must be a whole number from 1 to 1000 (got "lots")',
    );
    expect((await run("--edge-seconds", "soon")).code).to.equal(2);
  });
});
