import { Jimp } from "jimp";
import { parseS3Uri } from "../../lib/s3Uri";
import { lines, readAll } from "../../lib/streams";
import { createTarGz } from "../../lib/tar";
import { LABEL_ATTRIBUTE, VERIFICATION_ATTRIBUTE } from "../../lib/labeling";
import type { MemoryObjectStore } from "./memoryPorts";
import { manifestFor } from "../harness/models";
import { convModel } from "../harness/onnxModels";

/**
 * Just enough of SageMaker, Greengrass, IoT and SNS for the state machine's service tasks, acting on the in-memory data
 * lake the real Lambda handlers use: a labeling job labels the images of its manifest, a training job writes a
 * model.tar.gz, a Neo job writes an archive, a deployment reports device counts. Every request is checked for the
 * fields the real API requires.
 */
export const MODEL_INPUT = { name: "images", width: 64, height: 48, padValue: 114 };
export const ACCOUNT = "123456789012";

export type JobProgress = { status: string; devices: Record<string, number> };

export interface CloudScenario {
  /** Validation mAP50-95 the training job reports. */
  metric: number;
  /** The labeling job fails with this reason. */
  labelingFailure?: string;
  /** Lines the labeling job appends to its output manifest (e.g. malformed ones). */
  extraLabelingLines: string[];
  /** The boxes the labelers draw on every image (default: one scratch inside the 90x60 image). */
  labelBoxes?: Record<string, number>[];
  trainingFailure?: string;
  /** What the training job writes as its model.tar.gz instead of a real one. */
  modelArtifact?: Buffer;
  /** CompilationJobStatus of each DescribeCompilationJob; the last one repeats. */
  neoStatuses: string[];
  neoFailureReason?: string;
  /** What each DescribeJob of the deployment's IoT job reports; the last one repeats. */
  deployment: JobProgress[];
}

export interface ModelPackage {
  ModelPackageGroupName: string;
  ModelPackageVersion: number;
  ModelPackageArn: string;
  ModelApprovalStatus: string;
  ModelPackageDescription: string;
  InferenceSpecification: { Containers: { Image: string; ModelDataUrl: string }[] };
  CustomerMetadataProperties?: Record<string, string>;
}

export class RequestError extends Error {
  constructor(
    readonly name: string,
    message: string,
  ) {
    super(message);
  }
}

function need(request: Record<string, unknown>, path: string): unknown {
  let value: unknown = request;
  for (const part of path.split(".")) value = (value as Record<string, unknown> | undefined)?.[part];
  if (value === undefined || value === "") throw new RequestError("ValidationException", `missing ${path}`);
  return value;
}

/** Tags a created resource carries: SageMaker's Key/Value list or Greengrass's map, with the stack's two keys. */
function tagsOf(request: Record<string, unknown>, form: "list" | "map"): Record<string, string> {
  const raw = need(request, "Tags");
  const tags =
    form === "list"
      ? Object.fromEntries((raw as { Key: string; Value: string }[]).map(({ Key, Value }) => [Key, Value]))
      : (raw as Record<string, string>);
  if (!tags.project || !tags.stack) throw new RequestError("ValidationException", "missing the stack's tags");
  return tags;
}

let imageBytes: Promise<Buffer> | undefined;
/** A small decodable JPEG every test image shares. */
export function sampleImage(): Promise<Buffer> {
  imageBytes ??= new Jimp({ width: 90, height: 60, color: 0x808890ff }).getBuffer("image/jpeg");
  return imageBytes;
}

export class FakeCloud {
  readonly packages = new Map<string, ModelPackage>();
  readonly notifications: { Subject: string; Message: string }[] = [];
  readonly deployments: Record<string, unknown>[] = [];
  readonly compilationJobs: Record<string, unknown>[] = [];
  readonly trainingJobs: Record<string, unknown>[] = [];
  private neoPolls = 0;
  private deploymentPolls = 0;
  private readonly clientTokens = new Map<string, string>();

  constructor(
    private readonly objects: MemoryObjectStore,
    private readonly scenario: CloudScenario,
  ) {}

  private key(uri: unknown): string {
    const { bucket, key } = parseS3Uri(String(uri));
    if (bucket !== this.objects.bucket) throw new RequestError("AccessDenied", `${uri} is not in the data lake`);
    return key;
  }

  /** createLabelingJob.sync: labels every image with one box, or judges every label correct (verification). */
  async labelingJob(request: Record<string, unknown>) {
    const name = String(need(request, "LabelingJobName"));
    tagsOf(request, "list");
    for (const field of [
      "RoleArn",
      "LabelCategoryConfigS3Uri",
      "HumanTaskConfig.WorkteamArn",
      "HumanTaskConfig.UiConfig.UiTemplateS3Uri",
    ]) {
      need(request, field);
    }
    const verification = String(need(request, "HumanTaskConfig.PreHumanTaskLambdaArn")).endsWith(
      "PRE-VerificationBoundingBox",
    );
    this.key(need(request, "LabelCategoryConfigS3Uri"));
    if (!this.objects.objects.has(this.key(request.LabelCategoryConfigS3Uri))) {
      throw new RequestError("ValidationException", "the label category file does not exist");
    }
    if (this.scenario.labelingFailure) {
      throw new RequestError(
        "States.TaskFailed",
        JSON.stringify({
          LabelingJobName: name,
          LabelingJobStatus: "Failed",
          FailureReason: this.scenario.labelingFailure,
        }),
      );
    }
    const input = await this.objects.read(this.key(need(request, "InputConfig.DataSource.S3DataSource.ManifestS3Uri")));
    const output: string[] = [];
    for await (const line of lines(input)) {
      if (!line.trim()) continue;
      const entry = JSON.parse(line) as Record<string, unknown>;
      if (verification) {
        entry[VERIFICATION_ATTRIBUTE] = 0;
        entry[`${VERIFICATION_ATTRIBUTE}-metadata`] = {
          "class-name": "correct",
          "job-name": `labeling-job/${name}`,
          "creation-date": "2026-12-01T09:00:00",
        };
      } else {
        entry[LABEL_ATTRIBUTE] = {
          image_size: [{ width: 90, height: 60, depth: 3 }],
          annotations: this.scenario.labelBoxes ?? [{ class_id: 0, left: 10, top: 12, width: 30, height: 8 }],
        };
        entry[`${LABEL_ATTRIBUTE}-metadata`] = {
          "class-map": { "0": "scratch" },
          type: "groundtruth/object-detection",
          "job-name": `labeling-job/${name}`,
          "creation-date": "2026-12-01T08:00:00.000000",
          "human-annotated": "yes",
        };
      }
      output.push(JSON.stringify(entry));
    }
    if (!verification) output.push(...this.scenario.extraLabelingLines);
    const outputUri = `${need(request, "OutputConfig.S3OutputPath")}${name}/manifests/output/output.manifest`;
    this.objects.put(this.key(outputUri), `${output.join("\n")}\n`);
    return {
      LabelingJobName: name,
      LabelingJobArn: `arn:aws:sagemaker:eu-west-1:${ACCOUNT}:labeling-job/${name}`,
      LabelingJobStatus: "Completed",
      LabelCounters: {
        TotalLabeled: output.length,
        HumanLabeled: output.length,
        MachineLabeled: 0,
        FailedNonRetryableError: 0,
        Unlabeled: 0,
      },
      LabelingJobOutput: { OutputDatasetS3Uri: outputUri, FinalActiveLearningModelArn: "" },
    };
  }

  /** createTrainingJob.sync: reads its channels and writes model.tar.gz with the scenario's metric. */
  async trainingJob(request: Record<string, unknown>) {
    const name = String(need(request, "TrainingJobName"));
    tagsOf(request, "list");
    this.trainingJobs.push(request);
    for (const field of [
      "AlgorithmSpecification.TrainingImage",
      "RoleArn",
      "ResourceConfig.InstanceType",
      "StoppingCondition.MaxRuntimeInSeconds",
    ]) {
      need(request, field);
    }
    const channels = request.InputDataConfig as {
      ChannelName: string;
      DataSource: { S3DataSource: { S3DataType: string; S3Uri: string } };
    }[];
    for (const channel of channels) {
      if (channel.DataSource.S3DataSource.S3DataType !== "ManifestFile")
        throw new RequestError("ValidationException", "expected a ManifestFile channel");
      const manifest = JSON.parse(
        (await readAll(await this.objects.read(this.key(channel.DataSource.S3DataSource.S3Uri)))).toString(),
      ) as unknown[];
      const prefix = (manifest[0] as { prefix: string }).prefix;
      for (const entry of manifest.slice(1) as string[]) {
        if (!this.objects.objects.has(this.key(`${prefix}${entry}`)))
          throw new RequestError("States.TaskFailed", `channel file ${entry} is missing`);
      }
    }
    if (this.scenario.trainingFailure) {
      throw new RequestError(
        "States.TaskFailed",
        JSON.stringify({
          TrainingJobName: name,
          TrainingJobStatus: "Failed",
          FailureReason: this.scenario.trainingFailure,
        }),
      );
    }
    const manifest = manifestFor({
      version: name,
      input: MODEL_INPUT,
      metrics: { validation: { map50_95: this.scenario.metric, map50: 0.8, precision: 0.7, recall: 0.6, images: 5 } },
    });
    const tarball = createTarGz([
      { name: "model.onnx", data: convModel({ width: MODEL_INPUT.width, height: MODEL_INPUT.height }) },
      { name: "model.json", data: Buffer.from(JSON.stringify(manifest)) },
      { name: "metrics.json", data: Buffer.from(JSON.stringify(manifest.metrics)) },
    ]);
    const modelData = `${need(request, "OutputDataConfig.S3OutputPath")}${name}/output/model.tar.gz`;
    this.objects.put(this.key(modelData), this.scenario.modelArtifact ?? tarball);
    return { TrainingJobName: name, TrainingJobStatus: "Completed", ModelArtifacts: { S3ModelArtifacts: modelData } };
  }

  /** aws-sdk:sagemaker:createModelPackage, idempotent on ClientToken. */
  createModelPackage(request: Record<string, unknown>) {
    const group = String(need(request, "ModelPackageGroupName"));
    const token = String(need(request, "ClientToken"));
    if (!/^[a-zA-Z0-9-]{1,36}$/.test(token))
      throw new RequestError("ValidationException", "ClientToken: 1-36 of [a-zA-Z0-9-]");
    // SageMaker refuses Tags on a package in a group: it carries the group's tags.
    if (request.Tags !== undefined) throw new RequestError("ValidationException", "Tags with ModelPackageGroupName");
    const existing = this.clientTokens.get(token);
    if (existing) return { ModelPackageArn: existing };
    const version = [...this.packages.values()].filter((p) => p.ModelPackageGroupName === group).length + 1;
    const arn = `arn:aws:sagemaker:eu-west-1:${ACCOUNT}:model-package/${group}/${version}`;
    const metadata = need(request, "CustomerMetadataProperties") as Record<string, string>;
    for (const [key, value] of Object.entries(metadata)) {
      if (typeof value !== "string" || value.length > 256 || key.length > 128)
        throw new RequestError("ValidationException", `bad metadata ${key}`);
    }
    this.packages.set(arn, {
      ModelPackageGroupName: group,
      ModelPackageVersion: version,
      ModelPackageArn: arn,
      ModelApprovalStatus: String(need(request, "ModelApprovalStatus")),
      ModelPackageDescription: String(request.ModelPackageDescription ?? ""),
      InferenceSpecification: need(request, "InferenceSpecification") as ModelPackage["InferenceSpecification"],
      CustomerMetadataProperties: metadata,
    });
    this.clientTokens.set(token, arn);
    return { ModelPackageArn: arn };
  }

  describeModelPackage(request: Record<string, unknown>) {
    const found = this.packages.get(String(need(request, "ModelPackageName")));
    if (!found) throw new RequestError("SageMaker.SageMakerException", "ModelPackage does not exist");
    return { ...found, ModelPackageStatus: "Completed" };
  }

  createCompilationJob(request: Record<string, unknown>) {
    for (const field of [
      "CompilationJobName",
      "RoleArn",
      "InputConfig.S3Uri",
      "InputConfig.DataInputConfig",
      "OutputConfig.S3OutputLocation",
      "OutputConfig.TargetDevice",
    ]) {
      need(request, field);
    }
    tagsOf(request, "list");
    if (!this.objects.objects.has(this.key(need(request, "InputConfig.S3Uri"))))
      throw new RequestError("SageMaker.ValidationException", "no model");
    this.compilationJobs.push(request);
    return {
      CompilationJobArn: `arn:aws:sagemaker:eu-west-1:${ACCOUNT}:compilation-job/${request.CompilationJobName}`,
    };
  }

  describeCompilationJob(request: Record<string, unknown>) {
    const job = this.compilationJobs.find((j) => j.CompilationJobName === need(request, "CompilationJobName"));
    if (!job) throw new RequestError("SageMaker.ResourceNotFoundException", "no such compilation job");
    const statuses = this.scenario.neoStatuses;
    const status = statuses[Math.min(this.neoPolls++, statuses.length - 1)];
    const output = job.OutputConfig as { S3OutputLocation: string; TargetDevice: string };
    const response: Record<string, unknown> = {
      CompilationJobName: job.CompilationJobName,
      CompilationJobStatus: status,
    };
    if (status === "COMPLETED") {
      const archive = `${output.S3OutputLocation}model-${output.TargetDevice}.tar.gz`;
      this.objects.put(this.key(archive), "neo-compiled");
      response.ModelArtifacts = { S3ModelArtifacts: archive };
    }
    if (status === "FAILED" && this.scenario.neoFailureReason) response.FailureReason = this.scenario.neoFailureReason;
    return response;
  }

  createDeployment(request: Record<string, unknown>) {
    need(request, "TargetArn");
    need(request, "ClientToken");
    tagsOf(request, "map");
    const components = need(request, "Components") as Record<string, { ComponentVersion: string }>;
    for (const [name, spec] of Object.entries(components)) {
      if (!/^\d+\.\d+\.\d+$/.test(spec.ComponentVersion))
        throw new RequestError("GreengrassV2.ValidationException", `bad version of ${name}`);
    }
    this.deployments.push(request);
    return {
      DeploymentId: "4f1e5d3c-deployment",
      IotJobId: "4f1e5d3c-job",
      IotJobArn: `arn:aws:iot:eu-west-1:${ACCOUNT}:job/4f1e5d3c-job`,
    };
  }

  describeJob(request: Record<string, unknown>) {
    need(request, "JobId");
    const progress = this.scenario.deployment[Math.min(this.deploymentPolls++, this.scenario.deployment.length - 1)];
    return { Job: { JobId: request.JobId, Status: progress.status, JobProcessDetails: progress.devices } };
  }

  publish(request: Record<string, unknown>) {
    need(request, "TopicArn");
    const subject = String(need(request, "Subject"));
    if (subject.length > 100)
      throw new RequestError("SNS.InvalidParameterException", "Subject longer than 100 characters");
    const message = need(request, "Message");
    // Step Functions' SNS integration sends an object Message as its JSON text.
    this.notifications.push({
      Subject: subject,
      Message: typeof message === "string" ? message : JSON.stringify(message),
    });
    return { MessageId: `m-${this.notifications.length}` };
  }

  /** The artifact files of a component version in the lake. */
  componentFiles(name: string, version: string): string[] {
    return [...this.objects.objects.keys()].filter((k) => k.startsWith(`components/${name}/${version}/`)).sort();
  }
}
