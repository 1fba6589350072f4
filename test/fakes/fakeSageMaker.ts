import { AwsJsonFake, FakeError, Handler } from "./awsJsonFake";

export interface FakeJob {
  kind: "labeling" | "training" | "compilation";
  name: string;
  status: string;
  tags: { Key: string; Value: string }[];
}

export interface FakeModelPackage {
  group: string;
  version: number;
  status: string;
}

const ACCOUNT = "123456789012";
const REGION = "eu-west-1";
const KIND_ARN = { labeling: "labeling-job", training: "training-job", compilation: "compilation-job" } as const;
const STOPPED = { labeling: "Stopping", training: "Stopping", compilation: "STOPPING" } as const;

export const jobArn = (job: Pick<FakeJob, "kind" | "name">) =>
  `arn:aws:sagemaker:${REGION}:${ACCOUNT}:${KIND_ARN[job.kind]}/${job.name}`;
export const modelPackageArn = (p: Pick<FakeModelPackage, "group" | "version">) =>
  `arn:aws:sagemaker:${REGION}:${ACCOUNT}:model-package/${p.group}/${p.version}`;

/**
 * A local HTTP server speaking SageMaker's JSON protocol (awsJson1_1, `X-Amz-Target: SageMaker.*`) for the calls
 * cleanup makes: listing jobs by name substring (paged two at a time), their tags, stopping them, listing and deleting
 * model packages. Like the real API, a filter by substring or group is applied on the server.
 */
export class FakeSageMaker extends AwsJsonFake {
  readonly jobs: FakeJob[] = [];
  readonly packages: FakeModelPackage[] = [];
  /** Errors for every call of an action whose body matches. */
  readonly refusals: { action: string; when: (body: Record<string, unknown>) => boolean; error: FakeError }[] = [];
  pageSize = 2;

  constructor() {
    super("SageMaker", "application/x-amz-json-1.1");
  }

  protected override refusalFor(action: string, body: Record<string, unknown>): FakeError | undefined {
    return this.refusals.find((r) => r.action === action && r.when(body))?.error;
  }

  /** The calls that change something. */
  changes(): string[] {
    return this.calls
      .filter((c) => /^(Stop|Delete)/.test(c.action))
      .map(
        (c) =>
          `${c.action} ${c.body.LabelingJobName ?? c.body.TrainingJobName ?? c.body.CompilationJobName ?? c.body.ModelPackageName}`,
      );
  }

  private page<T>(all: T[], body: Record<string, unknown>): { items: T[]; NextToken?: string } {
    const from = body.NextToken ? Number(body.NextToken) : 0;
    const to = Math.min(all.length, from + Math.min(Number(body.MaxResults ?? 100), this.pageSize));
    return { items: all.slice(from, to), NextToken: to < all.length ? String(to) : undefined };
  }

  private listJobs(kind: FakeJob["kind"], body: Record<string, unknown>) {
    const contains = String(body.NameContains ?? "");
    return this.page(
      this.jobs.filter(
        (j) => j.kind === kind && j.name.includes(contains) && (!body.StatusEquals || j.status === body.StatusEquals),
      ),
      body,
    );
  }

  private stopJob(kind: FakeJob["kind"], name: unknown) {
    const job = this.jobs.find((j) => j.kind === kind && j.name === name);
    if (!job) throw { type: "ResourceNotFound", message: `Requested resource not found: ${name}` };
    if (!["InProgress", "INPROGRESS", "STARTING"].includes(job.status)) {
      throw { type: "ValidationException", message: `The job status is ${job.status}; it cannot be stopped.` };
    }
    job.status = STOPPED[kind];
    return {};
  }

  protected readonly handlers: Record<string, Handler> = {
    ListLabelingJobs: (body) => {
      const { items, NextToken } = this.listJobs("labeling", body);
      return {
        LabelingJobSummaryList: items.map((j) => ({
          LabelingJobName: j.name,
          LabelingJobArn: jobArn(j),
          LabelingJobStatus: j.status,
          CreationTime: 1_780_000_000,
        })),
        NextToken,
      };
    },
    ListTrainingJobs: (body) => {
      const { items, NextToken } = this.listJobs("training", body);
      return {
        TrainingJobSummaries: items.map((j) => ({
          TrainingJobName: j.name,
          TrainingJobArn: jobArn(j),
          TrainingJobStatus: j.status,
          CreationTime: 1_780_000_000,
        })),
        NextToken,
      };
    },
    ListCompilationJobs: (body) => {
      const { items, NextToken } = this.listJobs("compilation", body);
      return {
        CompilationJobSummaries: items.map((j) => ({
          CompilationJobName: j.name,
          CompilationJobArn: jobArn(j),
          CompilationJobStatus: j.status,
          CreationTime: 1_780_000_000,
        })),
        NextToken,
      };
    },
    ListTags: (body) => {
      const job = this.jobs.find((j) => jobArn(j) === body.ResourceArn);
      if (!job) throw { type: "ResourceNotFound", message: `no resource ${body.ResourceArn}` };
      return { Tags: job.tags };
    },
    StopLabelingJob: (body) => this.stopJob("labeling", body.LabelingJobName),
    StopTrainingJob: (body) => this.stopJob("training", body.TrainingJobName),
    StopCompilationJob: (body) => this.stopJob("compilation", body.CompilationJobName),
    ListModelPackages: (body) => {
      const { items, NextToken } = this.page(
        this.packages.filter((p) => !body.ModelPackageGroupName || p.group === body.ModelPackageGroupName),
        body,
      );
      return {
        ModelPackageSummaryList: items.map((p) => ({
          ModelPackageGroupName: p.group,
          ModelPackageVersion: p.version,
          ModelPackageArn: modelPackageArn(p),
          ModelApprovalStatus: p.status,
          ModelPackageStatus: "Completed",
          CreationTime: 1_780_000_000,
        })),
        NextToken,
      };
    },
    DeleteModelPackage: (body) => {
      const index = this.packages.findIndex((p) => modelPackageArn(p) === body.ModelPackageName);
      if (index < 0)
        throw { type: "ValidationException", message: `ModelPackage ${body.ModelPackageName} does not exist.` };
      this.packages.splice(index, 1);
      return {};
    },
  };
}
