import { spawnSync } from "node:child_process";
import * as path from "node:path";
import {
  checkTorch,
  findPython,
  ONNX_CHECK_FOLLOWS_ENV,
  TORCH_INSTALL_HINT,
  TRAIN_OUTPUTS,
  TRAIN_SCRIPT,
} from "./python";
import { verifyOnnx } from "./verifyOnnx";

/**
 * `npm run train:local -- --data <dataset> --epochs N [train.py options]`: runs training/train.py with the right
 * python, then checks the exported model with onnxruntime-node, the runtime the edge uses.
 */

const USAGE = "usage: npm run train:local -- --data <dataset folder> [--epochs N] [other train.py options]";

function valueOf(args: string[], ...names: string[]): string | undefined {
  for (const name of names) {
    const i = args.indexOf(name);
    if (i >= 0 && i + 1 < args.length) return args[i + 1];
    const inline = args.find((arg) => arg.startsWith(`${name}=`));
    if (inline) return inline.slice(name.length + 1);
  }
  return undefined;
}

export interface LocalRun {
  args: string[];
  modelDir: string;
  outputDataDir: string;
}

/** train.py's arguments with output folders filled in: `.local/training/<time>/{model,output}` unless given. */
export function localRun(args: string[], repoRoot: string, now: Date): LocalRun {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
  const runDir = path.join(repoRoot, ".local", "training", stamp);
  const modelDir = valueOf(args, "--model-dir", "--model_dir") ?? path.join(runDir, "model");
  const outputDataDir =
    valueOf(args, "--output-data-dir", "--output_data_dir") ?? path.join(path.dirname(modelDir), "output");
  const extra = [
    ...(valueOf(args, "--model-dir", "--model_dir") ? [] : ["--model-dir", modelDir]),
    ...(valueOf(args, "--output-data-dir", "--output_data_dir") ? [] : ["--output-data-dir", outputDataDir]),
  ];
  return { args: [...args, ...extra], modelDir, outputDataDir };
}

async function main(args: string[]): Promise<number> {
  if (args.length === 0) {
    console.error(USAGE);
    return 2;
  }
  const python = findPython();
  const torch = checkTorch(python);
  if (!torch.ok) {
    console.error(`train:local: ${torch.detail}.\nTo train, ${TORCH_INSTALL_HINT}.`);
    return 1;
  }
  console.log(`train:local: ${python} (${torch.detail})`);
  const run = localRun(args, path.resolve(__dirname, ".."), new Date());
  const training = spawnSync(python, [TRAIN_SCRIPT, ...run.args], {
    stdio: "inherit",
    env: { ...process.env, [ONNX_CHECK_FOLLOWS_ENV]: "1" },
  });
  if (training.status !== 0) return training.status ?? 1;
  if (args.includes("--help") || args.includes("-h")) return 0;
  const agreement = await verifyOnnx(
    path.join(run.modelDir, TRAIN_OUTPUTS.model),
    path.join(run.outputDataDir, TRAIN_OUTPUTS.checkFolder),
  );
  console.log(`ONNX (onnxruntime-node) vs PyTorch: ${agreement.report}`);
  if (!agreement.ok) return 1;
  console.log(`train:local: model in ${run.modelDir}`);
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: Error) => {
      console.error(`train:local: ${error.message}`);
      process.exit(1);
    },
  );
}
