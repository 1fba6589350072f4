import { ChildProcess, spawn } from "node:child_process";
import { createWriteStream, existsSync } from "node:fs";
import { once } from "node:events";
import { link, copyFile, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import * as path from "node:path";
import { createInterface } from "node:readline";
import { z } from "zod";
import { MODEL_MANIFEST_FILE, modelManifestSchema } from "../contracts/modelManifest";
import { keyInBucket, parseS3Uri } from "../lib/s3Uri";
import { readAll } from "../lib/streams";
import { createTarGz, readTarEntries, TarEntry } from "../lib/tar";
import { ONNX_CHECK_FOLLOWS_ENV, TRAIN_OUTPUTS } from "../training/python";
import { CHECK_FILE, ONNXRUNTIME_FILE, verifyOnnx } from "../training/verifyOnnx";
import { filesBelow } from "../training/datasetFromLabels";
import { FileObjectStore } from "./fileObjectStore";
import { parseRequest, ServiceError } from "./serviceError";

/** The fields of CreateTrainingJob the local job reads; SageMaker requires each of them. */
const trainingJobRequestSchema = z.looseObject({
  TrainingJobName: z.string().regex(/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/),
  AlgorithmSpecification: z.looseObject({ TrainingImage: z.string().min(1), TrainingInputMode: z.literal("File") }),
  HyperParameters: z.record(z.string(), z.string()),
  InputDataConfig: z
    .array(
      z.looseObject({
        ChannelName: z.string().regex(/^[A-Za-z0-9.\-_]+$/),
        DataSource: z.looseObject({
          S3DataSource: z.looseObject({ S3DataType: z.enum(["ManifestFile", "S3Prefix"]), S3Uri: z.string() }),
        }),
      }),
    )
    .min(1),
  OutputDataConfig: z.looseObject({ S3OutputPath: z.string().startsWith("s3://") }),
  ResourceConfig: z.looseObject({ InstanceType: z.string().min(1), InstanceCount: z.number().int().positive() }),
  StoppingCondition: z.looseObject({ MaxRuntimeInSeconds: z.number().int().positive() }),
  RoleArn: z.string().startsWith("arn:"),
});
type TrainingJobRequest = z.infer<typeof trainingJobRequestSchema>;

/** A `ManifestFile`: `[{"prefix": "s3://bucket/"}, "key relative to the prefix", ...]`. */
const manifestFileSchema = z.tuple([z.object({ prefix: z.string().startsWith("s3://") })], z.string().min(1));

/** How the job gets its model: train.py with the python that has torch, or the committed demo model. */
export type TrainingMode =
  { kind: "python"; python: string } | { kind: "demo-model"; modelDir: string; reason: string };

export interface LocalTrainingOptions {
  objects: FileObjectStore;
  /** Job folders (`<jobs>/<job name>/`), laid out as in the SageMaker container (`/opt/ml`). */
  jobsDir: string;
  mode: TrainingMode;
  region: string;
  account: string;
  /** Every line the job prints (train.py's progress), as CloudWatch Logs would show it. */
  onLine?: (line: string) => void;
}

export interface TrainingJobRecord {
  name: string;
  mode: TrainingMode["kind"];
  seconds: number;
  modelDataUrl: string;
  /** The job's output (python jobs). */
  log?: string;
  /** The last value of every `metric: <name>=<value>` line, as SageMaker's metric definitions scrape them. */
  metrics: Record<string, number>;
}

/**
 * SageMaker's `createTrainingJob.sync` on this machine. As the PyTorch framework container does, it downloads each
 * ManifestFile channel into `input/data/<channel>/` (every listed key at its path relative to the prefix), unpacks
 * `sagemaker_submit_directory` from the data lake and runs `sagemaker_program` with the hyperparameters as
 * `--name value` arguments and the `SM_*` environment, then packs the model folder into
 * `<S3OutputPath><job>/output/model.tar.gz`. A job that exits non-zero fails like a SageMaker job: `States.TaskFailed`
 * with the job description (status, failure reason) as the cause. With the demo model, the same tarball holds
 * `models/demo/` instead of a trained model.
 */
export class LocalTraining {
  readonly jobs: TrainingJobRecord[] = [];
  private readonly running = new Set<ChildProcess>();

  constructor(private readonly options: LocalTrainingOptions) {}

  async createTrainingJob(request: unknown) {
    const job = parseRequest(trainingJobRequestSchema, request, "SageMaker.ValidationException", "CreateTrainingJob");
    const started = Date.now();
    const root = path.join(this.options.jobsDir, job.TrainingJobName);
    await rm(root, { recursive: true, force: true });
    const dirs = {
      model: path.join(root, "model"),
      output: path.join(root, "output", "data"),
      code: path.join(root, "code"),
      input: path.join(root, "input", "data"),
    };
    for (const dir of Object.values(dirs)) await mkdir(dir, { recursive: true });

    const metrics: Record<string, number> = {};
    const { mode } = this.options;
    if (mode.kind === "python") {
      const channels = await this.downloadChannels(job, dirs.input);
      const program = await this.unpackCode(job, dirs.code);
      await this.run(job, mode.python, program, channels, { ...dirs, log: path.join(root, "training.log") }, metrics);
      await this.checkExport(job, mode.python, dirs);
    } else {
      for (const file of [TRAIN_OUTPUTS.model, TRAIN_OUTPUTS.manifest]) {
        await copyFile(path.join(mode.modelDir, file), path.join(dirs.model, file));
      }
      const manifest = modelManifestSchema.parse(
        JSON.parse(await readFile(path.join(mode.modelDir, MODEL_MANIFEST_FILE), "utf8")),
      );
      await writeFile(path.join(dirs.model, TRAIN_OUTPUTS.metrics), `${JSON.stringify(manifest.metrics, null, 2)}\n`);
      this.options.onLine?.(`no training (${mode.reason}): the job's model is the committed demo model`);
    }

    const output = `${job.OutputDataConfig.S3OutputPath.replace(/\/?$/, "/")}${job.TrainingJobName}/output/`;
    const modelDataUrl = `${output}model.tar.gz`;
    const write = (uri: string, entries: TarEntry[]) =>
      this.options.objects.write(
        keyInBucket(uri, this.options.objects.bucket),
        createTarGz(entries),
        "application/gzip",
      );
    await write(modelDataUrl, await filesUnder(dirs.model));
    await write(`${output}output.tar.gz`, await filesUnder(dirs.output));

    const seconds = Math.round((Date.now() - started) / 100) / 10;
    const log = mode.kind === "python" ? path.join(root, "training.log") : undefined;
    this.jobs.push({ name: job.TrainingJobName, mode: mode.kind, seconds, modelDataUrl, metrics, log });
    const { region, account } = this.options;
    return {
      TrainingJobName: job.TrainingJobName,
      TrainingJobArn: `arn:aws:sagemaker:${region}:${account}:training-job/${job.TrainingJobName.toLowerCase()}`,
      TrainingJobStatus: "Completed",
      SecondaryStatus: "Completed",
      ModelArtifacts: { S3ModelArtifacts: modelDataUrl },
      TrainingTimeInSeconds: Math.round(seconds),
      FinalMetricDataList: Object.entries(metrics).map(([MetricName, Value]) => ({ MetricName, Value })),
    };
  }

  /** Every channel as SageMaker's File mode lays it out; returns channel name → folder. */
  private async downloadChannels(job: TrainingJobRequest, inputDir: string): Promise<Record<string, string>> {
    const { objects } = this.options;
    const channels: Record<string, string> = {};
    for (const channel of job.InputDataConfig) {
      const source = channel.DataSource.S3DataSource;
      if (source.S3DataType !== "ManifestFile") {
        throw new ServiceError(
          "SageMaker.ValidationException",
          `channel ${channel.ChannelName}: the local job reads ManifestFile channels`,
        );
      }
      const manifestKey = keyInBucket(source.S3Uri, objects.bucket);
      const manifest = manifestFileSchema.safeParse(
        JSON.parse((await readAll(await objects.read(manifestKey))).toString("utf8")),
      );
      if (!manifest.success) throw jobFailed(job, `ClientError: ${source.S3Uri} is not a ManifestFile`);
      const [{ prefix }, ...keys] = manifest.data;
      const prefixKey = keyInBucket(prefix, objects.bucket);
      const folder = path.join(inputDir, channel.ChannelName);
      for (const relative of keys) {
        const key = `${prefixKey}${relative}`;
        if (!(await objects.head(key)))
          throw jobFailed(job, `ClientError: ${prefix}${relative} of channel ${channel.ChannelName} does not exist`);
        const target = path.join(folder, ...relative.split("/"));
        await mkdir(path.dirname(target), { recursive: true });
        // A hard link costs nothing and the data lake never changes a file in place (writes replace it).
        await link(objects.pathOf(key), target).catch(() => copyFile(objects.pathOf(key), target));
      }
      channels[channel.ChannelName] = folder;
    }
    return channels;
  }

  /** Unpacks the training code bundle (`sagemaker_submit_directory`) and returns the path of `sagemaker_program`. */
  private async unpackCode(job: TrainingJobRequest, codeDir: string): Promise<string> {
    const { objects } = this.options;
    const { sagemaker_submit_directory: source, sagemaker_program: program } = job.HyperParameters;
    if (!source || !program) {
      throw new ServiceError(
        "SageMaker.ValidationException",
        "HyperParameters need sagemaker_program and sagemaker_submit_directory",
      );
    }
    const { bucket, key } = parseS3Uri(source);
    if (bucket !== objects.bucket || !(await objects.head(key)))
      throw jobFailed(job, `ClientError: the code bundle ${source} does not exist`);
    const files = await readTarEntries(await objects.read(key), () => true);
    for (const [name, data] of files) {
      const target = path.join(codeDir, ...name.split("/"));
      await mkdir(path.dirname(target), { recursive: true });
      await writeFile(target, data);
    }
    if (!files.has(program)) throw jobFailed(job, `AlgorithmError: ${source} has no ${program}`);
    return path.join(codeDir, program);
  }

  private async run(
    job: TrainingJobRequest,
    python: string,
    program: string,
    channels: Record<string, string>,
    dirs: { model: string; output: string; log: string },
    metrics: Record<string, number>,
  ): Promise<void> {
    const args = Object.entries(job.HyperParameters)
      .filter(([name]) => !name.startsWith("sagemaker_"))
      .flatMap(([name, value]) => [`--${name}`, value]);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PYTHONUNBUFFERED: "1",
      [ONNX_CHECK_FOLLOWS_ENV]: "1",
      SM_MODEL_DIR: dirs.model,
      SM_OUTPUT_DATA_DIR: dirs.output,
      SM_TRAINING_ENV: JSON.stringify({ job_name: job.TrainingJobName, hyperparameters: job.HyperParameters }),
      ...Object.fromEntries(Object.entries(channels).map(([name, dir]) => [`SM_CHANNEL_${name.toUpperCase()}`, dir])),
    };
    const child = spawn(python, [program, ...args], {
      cwd: path.dirname(program),
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.running.add(child);
    // Everything the job prints, as CloudWatch Logs would keep it.
    const log = createWriteStream(dirs.log);
    const tail: string[] = [];
    const onLine = (line: string) => {
      const metric = /^metric: ([A-Za-z0-9_]+)=([-+0-9.eE]+)$/.exec(line);
      if (metric) metrics[metric[1]] = Number(metric[2]);
      log.write(`${line}\n`);
      tail.push(line);
      if (tail.length > 20) tail.shift();
      this.options.onLine?.(line);
    };
    createInterface({ input: child.stdout! }).on("line", onLine);
    createInterface({ input: child.stderr! }).on("line", onLine);
    const limit = setTimeout(() => child.kill("SIGTERM"), job.StoppingCondition.MaxRuntimeInSeconds * 1000);
    // "close", not "exit": every line of its output has been read by then.
    const [code, signal] = (await once(child, "close")) as [number | null, NodeJS.Signals | null];
    clearTimeout(limit);
    await new Promise((resolve) => log.end(resolve));
    this.running.delete(child);
    if (code === 0) return;
    const reason = signal
      ? `the job was stopped (${signal}) after MaxRuntimeInSeconds or by the user`
      : `AlgorithmError: ${path.basename(program)} exited with code ${code}: ${tail.slice(-5).join(" | ")}`;
    throw jobFailed(job, reason);
  }

  /**
   * In SageMaker the job compares its ONNX export with PyTorch itself (Python onnxruntime, from requirements.txt).
   * Where Python has no onnxruntime (Debian), train.py leaves the check to onnxruntime-node, as `train:local` does:
   * here the job runs it before it counts as completed, and fails if the export disagrees.
   */
  private async checkExport(job: TrainingJobRequest, python: string, dirs: { model: string; output: string }) {
    const folder = path.join(dirs.output, TRAIN_OUTPUTS.checkFolder);
    if (existsSync(path.join(folder, ONNXRUNTIME_FILE)) || !existsSync(path.join(folder, CHECK_FILE))) return;
    const agreement = await verifyOnnx(path.join(dirs.model, TRAIN_OUTPUTS.model), folder, python);
    // export_check.py's first line says it for people; the JSON after it is for scripts.
    this.options.onLine?.(`ONNX (onnxruntime-node) vs PyTorch: ${agreement.report.split("\n")[0]}`);
    if (!agreement.ok)
      throw jobFailed(job, `AlgorithmError: the exported model does not reproduce PyTorch: ${agreement.report}`);
  }

  /** Stops jobs still running (the run was interrupted). */
  stopAll(): void {
    for (const child of this.running) child.kill("SIGTERM");
  }
}

/** A failed job as the `.sync` integration reports it: `States.TaskFailed` with the job's description. */
function jobFailed(job: TrainingJobRequest, reason: string): ServiceError {
  return new ServiceError(
    "States.TaskFailed",
    JSON.stringify({ TrainingJobName: job.TrainingJobName, TrainingJobStatus: "Failed", FailureReason: reason }),
  );
}

/** Every file below `dir`, named relative to it (what SageMaker packs into model.tar.gz). */
async function filesUnder(dir: string): Promise<TarEntry[]> {
  const names = [...filesBelow(dir)].sort();
  return Promise.all(names.map(async (name) => ({ name, data: await readFile(path.join(dir, name)) })));
}
