import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import * as path from "node:path";

/** The folder holding `train.py` and its modules. */
export const TRAINING_DIR = __dirname;
export const PYTHON_ENV = "QI_PYTHON";

export const TORCH_INSTALL_HINT =
  "install PyTorch and torchvision for that python: `sudo apt-get install python3-torchvision` (Debian, Ubuntu), " +
  `or \`pip install torch torchvision\`; or set ${PYTHON_ENV} to a python that has them`;

/**
 * The python that runs training: `$QI_PYTHON`, else the system's `/usr/bin/python3` (where Debian's torch lives,
 * which a pyenv or venv python first on PATH would not see), else `python3` from PATH.
 */
export function findPython(env: NodeJS.ProcessEnv = process.env): string {
  if (env[PYTHON_ENV]) return env[PYTHON_ENV];
  return existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
}

export interface TorchCheck {
  ok: boolean;
  /** Versions when ok, else why not. */
  detail: string;
}

/** Whether `python` can import torch and torchvision. */
export function checkTorch(python: string): TorchCheck {
  const result = spawnSync(
    python,
    [
      "-c",
      "import torch, torchvision; print('torch %s, torchvision %s' % (torch.__version__, torchvision.__version__))",
    ],
    { encoding: "utf8" },
  );
  if (result.error) return { ok: false, detail: `${python} cannot be run (${result.error.message})` };
  if (result.status !== 0) {
    const reason = result.stderr.trim().split("\n").pop() ?? "import failed";
    return { ok: false, detail: `${python} cannot import torch and torchvision (${reason})` };
  }
  return { ok: true, detail: result.stdout.trim() };
}

export const TRAIN_SCRIPT = path.join(TRAINING_DIR, "train.py");
export const EXPORT_CHECK_SCRIPT = path.join(TRAINING_DIR, "export_check.py");

/**
 * Set for train.py by callers that check its ONNX export with onnxruntime-node right after it (train:local, the
 * offline run), so it does not tell the user to do that check by hand.
 */
export const ONNX_CHECK_FOLLOWS_ENV = "QI_ONNX_CHECK_FOLLOWS";

/** What train.py writes: into the model folder (SageMaker's model artifact) and the output data folder. */
export const TRAIN_OUTPUTS = {
  model: "model.onnx",
  manifest: "model.json",
  metrics: "metrics.json",
  checkpoint: "model.pt",
  checkFolder: "export-check",
} as const;
