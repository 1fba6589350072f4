import { createHash } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import * as path from "node:path";
import { z } from "zod";
import { LabelingBatchResult, labelingBatchSchema } from "../contracts/labelingBatch";
import type { Annotation } from "../contracts/labelRecord";
import {
  boundingBoxOutputLine,
  groundTruthCreationDate,
  groundTruthOutputUri,
  LABEL_ATTRIBUTE,
  VERIFICATION_CHOICES,
} from "../lib/labeling";
import type { ObjectStore } from "../lib/ports";
import { keyInBucket, s3Uri } from "../lib/s3Uri";
import { lines, readAll } from "../lib/streams";
import { parseRequest, ServiceError } from "./serviceError";

/** What the labelers know about one image: its size and the true boxes (the synthetic set's, or labels.csv's). */
export interface TrueLabel {
  width: number;
  height: number;
  annotations: Annotation[];
}

/**
 * The answers of the local labeling workforce, keyed by the image's content (SHA-256 of its bytes): a copy of a known
 * image anywhere in the data lake — uploaded again by a device, say — is labeled the same. Kept in a JSON file (the
 * labelers' answer sheet) so that later runs can label images an earlier run put into the data lake.
 */
export class GroundTruth {
  private constructor(
    readonly file: string,
    private readonly labels: Map<string, TrueLabel>,
  ) {}

  static async open(file: string): Promise<GroundTruth> {
    try {
      const entries = JSON.parse(await readFile(file, "utf8")) as Record<string, TrueLabel>;
      return new GroundTruth(file, new Map(Object.entries(entries)));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return new GroundTruth(file, new Map());
      throw error;
    }
  }

  static hashOf(bytes: Uint8Array): string {
    return createHash("sha256").update(bytes).digest("hex");
  }

  add(bytes: Uint8Array, label: TrueLabel): void {
    this.labels.set(GroundTruth.hashOf(bytes), label);
  }

  of(bytes: Uint8Array): TrueLabel | undefined {
    return this.labels.get(GroundTruth.hashOf(bytes));
  }

  get size(): number {
    return this.labels.size;
  }

  async save(): Promise<void> {
    await mkdir(path.dirname(this.file), { recursive: true });
    await writeFile(this.file, `${JSON.stringify(Object.fromEntries(this.labels))}\n`);
  }
}

/** The fields of CreateLabelingJob the workforce reads; SageMaker requires each of them. */
const labelingJobRequestSchema = z.looseObject({
  LabelingJobName: z.string().regex(/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/),
  LabelAttributeName: z.string().min(1),
  InputConfig: z.looseObject({
    DataSource: z.looseObject({ S3DataSource: z.looseObject({ ManifestS3Uri: z.string().startsWith("s3://") }) }),
  }),
  OutputConfig: z.looseObject({ S3OutputPath: z.string().startsWith("s3://") }),
  RoleArn: z.string().startsWith("arn:"),
  LabelCategoryConfigS3Uri: z.string().startsWith("s3://"),
  HumanTaskConfig: z.looseObject({
    WorkteamArn: z.string().startsWith("arn:"),
    UiConfig: z.looseObject({ UiTemplateS3Uri: z.string().startsWith("s3://") }),
    PreHumanTaskLambdaArn: z.string().startsWith("arn:"),
    TaskTitle: z.string().min(1),
    TaskDescription: z.string().min(1),
    NumberOfHumanWorkersPerDataObject: z.number().int().positive(),
    TaskTimeLimitInSeconds: z.number().int().positive(),
    AnnotationConsolidationConfig: z.looseObject({ AnnotationConsolidationLambdaArn: z.string().startsWith("arn:") }),
  }),
});

const categoriesSchema = z.looseObject({ labels: z.array(z.looseObject({ label: z.string().min(1) })).min(1) });

export interface LabelingJobSummary {
  name: string;
  kind: "labeling" | "verification";
  objects: number;
  labeled: number;
  failed: number;
  /** Verification only: labels judged incorrect. */
  incorrect: number;
}

/** Two boxes are the same mark when they overlap by half (IoU ≥ 0.5) and share the class. */
function sameBox(a: Annotation, b: Annotation): boolean {
  const x = Math.max(0, Math.min(a.left + a.width, b.left + b.width) - Math.max(a.left, b.left));
  const y = Math.max(0, Math.min(a.top + a.height, b.top + b.height) - Math.max(a.top, b.top));
  const overlap = x * y;
  return a.class_id === b.class_id && overlap / (a.width * a.height + b.width * b.height - overlap) >= 0.5;
}

/** A verifier's verdict: the boxes mark every true scratch and nothing else. */
export function labelsAgree(boxes: Annotation[], truth: Annotation[]): boolean {
  const unmatched = [...truth];
  for (const box of boxes) {
    const i = unmatched.findIndex((t) => sameBox(box, t));
    if (i < 0) return false;
    unmatched.splice(i, 1);
  }
  return unmatched.length === 0;
}

/**
 * SageMaker Ground Truth's `createLabelingJob.sync` with a local workforce: the labelers answer from the ground truth
 * at once instead of within days. Reads the job's input manifest, categories and worker template from the data lake
 * as Ground Truth does, and writes the output manifest in Ground Truth's format — bounding boxes with their
 * metadata, or verification verdicts — to `<S3OutputPath><job>/manifests/output/output.manifest`. An image the
 * workforce has no answer for gets Ground Truth's per-object `failure-reason`.
 */
export class LocalLabelingWorkforce {
  readonly jobs: LabelingJobSummary[] = [];

  constructor(
    private readonly objects: ObjectStore,
    private readonly truth: GroundTruth,
    private readonly region: string,
    private readonly account: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  private async read(uri: string, what: string): Promise<Buffer> {
    const key = keyInBucket(uri, this.objects.bucket);
    if (!(await this.objects.head(key))) {
      throw new ServiceError("SageMaker.ValidationException", `the ${what} ${uri} does not exist`);
    }
    return readAll(await this.objects.read(key));
  }

  async createLabelingJob(request: unknown) {
    const job = parseRequest(labelingJobRequestSchema, request, "SageMaker.ValidationException", "CreateLabelingJob");
    const name = job.LabelingJobName;
    const verification = job.HumanTaskConfig.PreHumanTaskLambdaArn.endsWith("PRE-VerificationBoundingBox");
    const categories = categoriesSchema.safeParse(
      JSON.parse((await this.read(job.LabelCategoryConfigS3Uri, "label category file")).toString("utf8")),
    );
    if (!categories.success) {
      throw new ServiceError(
        "SageMaker.ValidationException",
        `${job.LabelCategoryConfigS3Uri} is not a label category file`,
      );
    }
    await this.read(job.HumanTaskConfig.UiConfig.UiTemplateS3Uri, "worker task template");
    const classNames = categories.data.labels.map((l) => l.label);

    const stamp = groundTruthCreationDate(this.now());
    const summary: LabelingJobSummary = {
      name,
      kind: verification ? "verification" : "labeling",
      objects: 0,
      labeled: 0,
      failed: 0,
      incorrect: 0,
    };
    const output: string[] = [];
    const manifest = keyInBucket(job.InputConfig.DataSource.S3DataSource.ManifestS3Uri, this.objects.bucket);
    if (!(await this.objects.head(manifest))) {
      throw new ServiceError(
        "SageMaker.ValidationException",
        `the input manifest ${s3Uri(this.objects.bucket, manifest)} does not exist`,
      );
    }
    for await (const text of lines(await this.objects.read(manifest))) {
      if (text.trim() === "") continue;
      const entry = JSON.parse(text) as Record<string, unknown>;
      summary.objects += 1;
      const answer = await this.answer(entry);
      const metadataKey = `${job.LabelAttributeName}-metadata`;
      const common = { "job-name": `labeling-job/${name}`, "human-annotated": "yes", "creation-date": stamp };
      if ("failure" in answer) {
        summary.failed += 1;
        output.push(JSON.stringify({ ...entry, [metadataKey]: { "failure-reason": answer.failure, ...common } }));
        continue;
      }
      summary.labeled += 1;
      if (verification) {
        const submitted = (entry[LABEL_ATTRIBUTE] as { annotations?: Annotation[] } | undefined)?.annotations ?? [];
        const correct = labelsAgree(submitted, answer.truth.annotations);
        if (!correct) summary.incorrect += 1;
        const verdict = correct ? VERIFICATION_CHOICES[0] : VERIFICATION_CHOICES[1];
        output.push(
          JSON.stringify({
            ...entry,
            [job.LabelAttributeName]: VERIFICATION_CHOICES.indexOf(verdict),
            [metadataKey]: {
              "class-name": verdict,
              confidence: 0.95,
              type: "groundtruth/label-verification",
              ...common,
            },
          }),
        );
      } else {
        output.push(
          boundingBoxOutputLine(entry, answer.truth, {
            attribute: job.LabelAttributeName,
            name,
            classNames,
            creationDate: stamp,
            confidence: 0.95,
          }),
        );
      }
    }
    const outputUri = groundTruthOutputUri(job.OutputConfig.S3OutputPath, name);
    await this.objects.write(
      keyInBucket(outputUri, this.objects.bucket),
      output.map((l) => `${l}\n`).join(""),
      "application/jsonlines",
    );
    this.jobs.push(summary);
    return {
      LabelingJobName: name,
      LabelingJobArn: `arn:aws:sagemaker:${this.region}:${this.account}:labeling-job/${name.toLowerCase()}`,
      LabelingJobStatus: "Completed",
      LabelCounters: {
        TotalLabeled: summary.labeled,
        HumanLabeled: summary.labeled,
        MachineLabeled: 0,
        FailedNonRetryableError: summary.failed,
        Unlabeled: 0,
      },
      LabelingJobOutput: { OutputDatasetS3Uri: outputUri },
    };
  }

  /**
   * The labeling app's batch (labeling.provider=builtin), answered by the same workforce: the output manifest the
   * app would write, and the result it would send with the task token.
   */
  async labelBatch(batchText: string): Promise<LabelingBatchResult> {
    const batch = labelingBatchSchema.parse(JSON.parse(batchText));
    const categories = categoriesSchema.parse(
      JSON.parse((await this.read(batch.categoriesUri, "label categories")).toString("utf8")),
    );
    const job = {
      attribute: LABEL_ATTRIBUTE,
      name: batch.jobName,
      classNames: categories.labels.map((l) => l.label),
      creationDate: groundTruthCreationDate(this.now()),
      confidence: 0.95,
    };
    const counters = { total: 0, withDefects: 0, noDefect: 0 };
    const output: string[] = [];
    for await (const text of lines(await this.objects.read(keyInBucket(batch.manifestUri, this.objects.bucket)))) {
      if (text.trim() === "") continue;
      const entry = JSON.parse(text) as Record<string, unknown>;
      counters.total += 1;
      const answer = await this.answer(entry);
      if ("failure" in answer) {
        const metadata = { "failure-reason": answer.failure, "job-name": `labeling-job/${batch.jobName}` };
        output.push(JSON.stringify({ ...entry, [`${LABEL_ATTRIBUTE}-metadata`]: metadata }));
        continue;
      }
      counters[answer.truth.annotations.length > 0 ? "withDefects" : "noDefect"] += 1;
      output.push(boundingBoxOutputLine(entry, answer.truth, job));
    }
    const outputManifestUri = groundTruthOutputUri(batch.outputUri, batch.jobName);
    const body = output.map((l) => `${l}\n`).join("");
    await this.objects.write(keyInBucket(outputManifestUri, this.objects.bucket), body, "application/jsonlines");
    this.jobs.push({
      name: batch.jobName,
      kind: "labeling",
      objects: counters.total,
      labeled: counters.withDefects + counters.noDefect,
      failed: counters.total - counters.withDefects - counters.noDefect,
      incorrect: 0,
    });
    return { outputManifestUri, counters, labelers: ["local workforce"] };
  }

  /** The true label of a manifest entry's image, or why a labeler could not give one. */
  private async answer(entry: Record<string, unknown>): Promise<{ truth: TrueLabel } | { failure: string }> {
    const sourceRef = entry["source-ref"];
    if (typeof sourceRef !== "string") return { failure: "ClientError: the manifest entry has no source-ref" };
    let key: string;
    try {
      key = keyInBucket(sourceRef, this.objects.bucket);
    } catch {
      return { failure: `ClientError: ${sourceRef} is not in the data lake` };
    }
    if (!(await this.objects.head(key))) return { failure: `ClientError: ${sourceRef} does not exist` };
    const truth = this.truth.of(await readAll(await this.objects.read(key)));
    return truth ? { truth } : { failure: `ClientError: the local workforce has no ground truth for ${sourceRef}` };
  }
}
