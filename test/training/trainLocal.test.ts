import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { checkTorch, findPython } from "../../training/python";
import { localRun } from "../../training/trainLocal";
import { PROJECT_DIR } from "../harness/pulumiProgram";

describe("training: npm run train:local", () => {
  let dir: string;
  let noTorch: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), "qi-train-local-"));
    // A python without torch, as on a laptop that never installed it.
    noTorch = path.join(dir, "python3");
    writeFileSync(noTorch, "#!/bin/sh\necho \"ModuleNotFoundError: No module named 'torch'\" >&2\nexit 1\n");
    chmodSync(noTorch, 0o755);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("uses QI_PYTHON when set, else the system python", () => {
    expect(findPython({ QI_PYTHON: "/opt/py/bin/python" })).to.equal("/opt/py/bin/python");
    expect(findPython({})).to.match(/python3$/);
  });

  it("says why torch is unusable", () => {
    expect(checkTorch(path.join(dir, "absent"))).to.deep.include({ ok: false });
    expect(checkTorch(path.join(dir, "absent")).detail).to.match(/cannot be run/);
    expect(checkTorch(noTorch).detail).to.match(/cannot import torch and torchvision \(ModuleNotFoundError/);
  });

  it("stops before training, saying how to install torch, when the python lacks it", function () {
    this.timeout(60_000);
    const result = spawnSync(process.execPath, ["--import", "tsx", "training/trainLocal.ts", "--data", dir], {
      cwd: PROJECT_DIR,
      env: { ...process.env, QI_PYTHON: noTorch },
      encoding: "utf8",
    });
    expect(result.status).to.equal(1);
    expect(result.stderr).to.include("cannot import torch and torchvision");
    expect(result.stderr).to.include("apt-get install python3-torchvision");
  });

  it("puts each run's model and output data in its own folder under .local/training unless told otherwise", () => {
    const run = localRun(["--data", "d", "--epochs", "3"], "/repo", new Date("2026-11-29T19:04:05.123Z"));
    expect(run.modelDir).to.equal(path.join("/repo", ".local", "training", "20261129T190405Z", "model"));
    expect(run.outputDataDir).to.equal(path.join("/repo", ".local", "training", "20261129T190405Z", "output"));
    expect(run.args).to.deep.equal([
      "--data",
      "d",
      "--epochs",
      "3",
      "--model-dir",
      run.modelDir,
      "--output-data-dir",
      run.outputDataDir,
    ]);
    const given = localRun(["--model-dir", "m/model", "--output-data-dir=o"], "/repo", new Date());
    expect(given).to.deep.equal({
      args: ["--model-dir", "m/model", "--output-data-dir=o"],
      modelDir: "m/model",
      outputDataDir: "o",
    });
    expect(localRun(["--model_dir", "x/model"], "/repo", new Date()).outputDataDir).to.equal(path.join("x", "output"));
  });
});
