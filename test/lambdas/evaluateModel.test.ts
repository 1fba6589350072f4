import { expect } from "chai";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { Readable } from "node:stream";
import { gunzipSync, gzipSync } from "node:zlib";
import { evaluateModel, EvaluateModelEvent } from "../../lambdas/evaluateModel/handler";
import { readTarEntries } from "../../lib/tar";
import { MemoryObjectStore, recordingLog } from "../fakes/memoryPorts";
import { manifestFor, modelTarball } from "../harness/models";
import { failureOf } from "../harness/failure";

const job = "qi-dev-train-run-1-3fa2b1c9";
const tarKey = `models/${job}/output/model.tar.gz`;
const event = (overrides: Partial<EvaluateModelEvent> = {}): EvaluateModelEvent => ({
  modelDataUrl: `s3://qi-test-lake/${tarKey}`,
  trainingJobName: job,
  datasetId: "run-1-3fa2b1c9",
  minMap50_95: 0.4,
  approvalStatus: "PendingManualApproval",
  ...overrides,
});

describe("EvaluateModel", () => {
  it("passes a model at or above the threshold with the configured approval status", async () => {
    const objects = new MemoryObjectStore().put(tarKey, modelTarball(manifestFor(), Buffer.from("the model")));
    const result = await evaluateModel(event(), { objects, log: recordingLog() });
    expect(result).to.deep.include({
      passed: true,
      approvalStatus: "PendingManualApproval",
      reason: "validation mAP50-95 0.450 reaches the threshold 0.400",
      modelVersion: job,
      evaluationUri: `s3://qi-test-lake/models/${job}/model/evaluation.json`,
    });
    expect(result.metrics.validation.map50_95).to.equal(0.45);
    expect(result.metadata).to.deep.include({
      registeredAs: "PendingManualApproval",
      modelVersion: job,
      datasetId: "run-1-3fa2b1c9",
      modelKey: `models/${job}/model/model.onnx`,
      manifestKey: `models/${job}/model/model.json`,
      neoInputUri: `s3://qi-test-lake/models/${job}/model/neo-input.tar.gz`,
      neoDataInputConfig: '{"images":[1,3,48,64]}',
    });
    for (const value of Object.values(result.metadata)) expect(value).to.be.a("string").with.length.at.most(256);
    expect(objects.text(`models/${job}/model/model.onnx`)).to.equal("the model");
    const neoInput = await readTarEntries(
      Readable.from([objects.objects.get(`models/${job}/model/neo-input.tar.gz`)!.body]),
      () => true,
    );
    expect([...neoInput.keys()], "Neo gets the ONNX file alone").to.deep.equal(["model.onnx"]);
    expect(objects.json(`models/${job}/model/evaluation.json`)).to.deep.include({ passed: true, threshold: 0.4 });
  });

  it("rejects a model below the threshold and says why", async () => {
    const low = manifestFor({
      metrics: { validation: { map50_95: 0.21, map50: 0.5, precision: 0.4, recall: 0.3, images: 24 } },
    });
    const objects = new MemoryObjectStore().put(tarKey, modelTarball(low));
    const result = await evaluateModel(event(), { objects, log: recordingLog() });
    expect(result).to.include({
      passed: false,
      approvalStatus: "Rejected",
      reason: "validation mAP50-95 0.210 is below the threshold 0.400 (evaluation.minMap50_95)",
    });
    expect(result.metadata.registeredAs).to.equal("Rejected");
  });

  it("fails with ModelArtifactError when model.json breaks the contract, naming the field", async () => {
    const objects = new MemoryObjectStore().put(
      tarKey,
      readFileSync(path.join(__dirname, "..", "fixtures", "python-tarfile.tar.gz")),
    );
    const error = await failureOf(evaluateModel(event(), { objects, log: recordingLog() }));
    expect(error.name).to.equal("ModelArtifactError");
    expect(error.message).to.match(/model.json in .* breaks the contract: schemaVersion/);
  });

  it("fails with ModelArtifactError when the ONNX file model.json names is missing", async () => {
    const objects = new MemoryObjectStore().put(tarKey, modelTarball(manifestFor({ file: "detector.onnx" })));
    const error = await failureOf(evaluateModel(event(), { objects, log: recordingLog() }));
    expect(error.name).to.equal("ModelArtifactError");
    expect(error.message).to.contain("has no detector.onnx");
  });

  describe("a training output that is not a gzip'd tar fails with ModelArtifactError naming the archive", () => {
    const tarball = modelTarball(manifestFor(), Buffer.alloc(3000, 7));
    const cases: [string, Buffer, string][] = [
      ["plain text", Buffer.from("model.onnx and model.json"), "not gzip data (zlib: incorrect header check)"],
      ["an uncompressed tar", gunzipSync(tarball), "not gzip data (zlib: incorrect header check)"],
      ["a zip file", Buffer.from("PK\x03\x04 zip local file header"), "not gzip data (zlib: incorrect header check)"],
      ["a gzip'd tar cut short", tarball.subarray(0, tarball.length - 40), "the gzip data is cut short (zlib: "],
      [
        "gzip'd JSON",
        gzipSync(JSON.stringify(manifestFor()).repeat(4)),
        "not a tar archive: the 512 bytes at byte 0 are not a tar header (bad checksum)",
      ],
      ["a gzip'd scrap", gzipSync("{}"), "not a tar archive: it ends 2 bytes into a header at byte 0"],
    ];
    for (const [what, bytes, problem] of cases) {
      it(what, async () => {
        const objects = new MemoryObjectStore().put(tarKey, bytes);
        const error = await failureOf(evaluateModel(event(), { objects, log: recordingLog() }));
        expect(error.name).to.equal("ModelArtifactError");
        expect(error.message).to.contain(`s3://qi-test-lake/${tarKey} is not a gzip'd tar: ${problem}`);
        expect(
          [...objects.objects.keys()].filter((key) => key !== tarKey),
          "nothing written",
        ).to.deep.equal([]);
      });
    }
  });

  it("fails with ObjectNotFoundError when the training output is missing", async () => {
    const error = await failureOf(evaluateModel(event(), { objects: new MemoryObjectStore(), log: recordingLog() }));
    expect(error.name).to.equal("ObjectNotFoundError");
  });
});
