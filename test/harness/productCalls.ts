import { DATA_LAKE_PREFIXES } from "../../contracts/dataLake";
import { labelStoreCatalogNames } from "../../contracts/labelStoreTable";
import { QUERY_RESULTS_PREFIX } from "../../contracts/resultsLayout";
import type { TaskState } from "../../stateMachines/asl";
import type { IamRequest } from "./iamEvaluator";
import type { PortCall } from "./pipelineHarness";
import { taskIntegration } from "./taskIntegrations";

/**
 * The AWS requests (action, resource ARN as AWS forms it, condition keys) behind what the product does: each Task of
 * the state machine, including what Step Functions does on the role's behalf for `.sync` and what Greengrass does for
 * a deployment; and each port call a Lambda function makes, as its AWS adapter (lib/aws/) sends it. A Task or port
 * call these tables do not know throws, so a new one cannot go unchecked.
 */
export interface AccountFacts {
  region: string;
  account: string;
  bucketArn: string;
  /** Names a run gives its jobs (lib/runNames.ts). */
  jobNames: { labelingJob: string; verificationJob: string; trainingJob: string; compilationJob: string };
  modelPackageGroupName: string;
  featureGroupArn: string;
  stateMachineArn: string;
  /** Core devices of the fleet (thing names). */
  fleet: string[];
  /** The stack's name prefix: the label store's Glue table and Athena workgroup are named after it. */
  namePrefix: string;
}

export type Call = IamRequest & { why: string };

const arn = (f: AccountFacts, service: string, resource: string) =>
  `arn:aws:${service}:${f.region}:${f.account}:${resource}`;
const object = (f: AccountFacts, key: string) => `${f.bucketArn}/${key}`;

/** What a SageMaker job Task asks for: create (tagging on create), pass its role, and for `.sync` watch and stop. */
function sageMakerJob(kind: string, jobName: string, sync: boolean, state: TaskState, f: AccountFacts): Call[] {
  const resource = arn(f, "sagemaker", `${kind.toLowerCase()}-job/${jobName}`);
  const roleArn = state.Parameters?.RoleArn as string;
  const calls: Call[] = [
    { why: "create", action: `sagemaker:Create${kind}Job`, resource },
    {
      why: "tags given at creation",
      action: "sagemaker:AddTags",
      resource,
      context: { "sagemaker:TaggingAction": `Create${kind}Job` },
    },
    {
      why: "the job's role",
      action: "iam:PassRole",
      resource: roleArn,
      context: { "iam:PassedToService": "sagemaker.amazonaws.com" },
    },
  ];
  if (!sync) return calls;
  // https://docs.aws.amazon.com/step-functions/latest/dg/sagemaker-iam.html: what .sync needs on the caller's behalf.
  return [
    ...calls,
    { why: ".sync watches the job", action: `sagemaker:Describe${kind}Job`, resource },
    { why: ".sync stops it when the run stops", action: `sagemaker:Stop${kind}Job`, resource },
    ...["events:PutTargets", "events:PutRule", "events:DescribeRule"].map((action) => ({
      why: ".sync's managed rule",
      action,
      resource: arn(f, "events", `rule/StepFunctionsGetEventsForSageMaker${kind}JobsRule`),
    })),
  ];
}

type TaskCalls = (state: TaskState, f: AccountFacts, sync: boolean) => Call[];

/** Per integration (`service:Operation`), the requests one Task makes. */
const TASK_CALLS: Record<string, TaskCalls> = {
  "lambda:Invoke": (state) => [{ why: "invoke", action: "lambda:InvokeFunction", resource: state.Resource }],
  "sagemaker:CreateLabelingJob": (state, f, sync) => {
    const verification = String(state.Parameters?.["LabelingJobName.$"]).includes("verification");
    const name = verification ? f.jobNames.verificationJob : f.jobNames.labelingJob;
    return sageMakerJob("Labeling", name, sync, state, f);
  },
  "sagemaker:CreateTrainingJob": (state, f, sync) => sageMakerJob("Training", f.jobNames.trainingJob, sync, state, f),
  "sagemaker:CreateCompilationJob": (state, f, sync) =>
    sageMakerJob("Compilation", f.jobNames.compilationJob, sync, state, f),
  "sagemaker:DescribeCompilationJob": (_, f) => [
    {
      why: "poll",
      action: "sagemaker:DescribeCompilationJob",
      resource: arn(f, "sagemaker", `compilation-job/${f.jobNames.compilationJob}`),
    },
  ],
  "sagemaker:CreateModelPackage": (_, f) => [
    {
      why: "register",
      action: "sagemaker:CreateModelPackage",
      resource: arn(f, "sagemaker", `model-package/${f.modelPackageGroupName}/7`),
    },
  ],
  "sagemaker:DescribeModelPackage": (_, f) => [
    {
      why: "describe",
      action: "sagemaker:DescribeModelPackage",
      resource: arn(f, "sagemaker", `model-package/${f.modelPackageGroupName}/7`),
    },
  ],
  "greengrassv2:CreateDeployment": (state, f) => {
    const group = state.Parameters?.TargetArn as string;
    const job = arn(f, "iot", "job/5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d");
    // https://docs.aws.amazon.com/greengrass/v2/developerguide/create-deployments.html: Greengrass creates an IoT
    // job for the thing group (cancelling the previous revision's) and updates each core device's shadow.
    return [
      { why: "deploy", action: "greengrass:CreateDeployment", resource: "*" },
      {
        why: "tags given at creation",
        action: "greengrass:TagResource",
        resource: arn(f, "greengrass", "deployments:5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d"),
      },
      { why: "the deployment's IoT job", action: "iot:CreateJob", resource: job },
      { why: "the IoT job's target", action: "iot:CreateJob", resource: group },
      { why: "the target", action: "iot:DescribeThingGroup", resource: group },
      ...["iot:DescribeJob", "iot:UpdateJob", "iot:CancelJob"].map((action) => ({
        why: "the previous revision's job",
        action,
        resource: job,
      })),
      ...f.fleet.flatMap((thing) =>
        ["iot:DescribeThing", "iot:GetThingShadow", "iot:UpdateThingShadow"].map((action) => ({
          why: `core device ${thing}`,
          action,
          resource: arn(f, "iot", `thing/${thing}`),
        })),
      ),
    ];
  },
  "iot:DescribeJob": (_, f) => [
    { why: "poll", action: "iot:DescribeJob", resource: arn(f, "iot", "job/5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d") },
  ],
  "sns:Publish": (state) => [{ why: "notify", action: "sns:Publish", resource: state.Parameters?.TopicArn as string }],
  // The key as written, or the format's fixed part with a name filled in: `States.Format('run-queue/{}.json', …)`.
  "s3:PutObject": (state, f) => {
    const key = (state.Parameters?.Key as string | undefined) ?? formattedKey(String(state.Parameters?.["Key.$"]));
    return [{ why: "PutObject", action: "s3:PutObject", resource: object(f, key) }];
  },
  "sagemaker:DescribeLabelingJob": (_, f) => [
    {
      why: "follow a job an earlier attempt started",
      action: "sagemaker:DescribeLabelingJob",
      resource: arn(f, "sagemaker", `labeling-job/${f.jobNames.labelingJob}`),
    },
  ],
  "sagemaker:DescribeTrainingJob": (_, f) => [
    {
      why: "follow a job an earlier attempt started",
      action: "sagemaker:DescribeTrainingJob",
      resource: arn(f, "sagemaker", `training-job/${f.jobNames.trainingJob}`),
    },
  ],
};

/** A key built by `States.Format('<pattern>', …)`, with each `{}` filled in by a name. */
function formattedKey(expression: string): string {
  const pattern = /^States\.Format\('([^']+)'/.exec(expression);
  if (!pattern) throw new Error(`a Key.$ that is not a States.Format: ${expression}`);
  return pattern[1].replace(/\{\}/g, "run-1");
}

/** The requests one Task state makes. */
export function taskCalls(state: TaskState, facts: AccountFacts): Call[] {
  const { service, operation, sync } = taskIntegration(state.Resource);
  const calls = TASK_CALLS[`${service}:${operation}`];
  if (!calls)
    throw new Error(`what ${service}:${operation} asks of IAM is not known: add it to test/harness/productCalls.ts`);
  return calls(state, facts, sync);
}

/** Artifact URIs in a Greengrass recipe (JSON): Greengrass reads them with the caller's rights. */
function artifactKeys(recipe: string): string[] {
  const uris = [...recipe.matchAll(/"URI"\s*:\s*"s3:\/\/[^/"]+\/([^"]+)"/gi)];
  if (uris.length === 0) throw new Error("a component recipe without S3 artifacts: is the URI pattern still right?");
  return uris.map(([, key]) => key);
}

type PortCalls = (args: unknown[], f: AccountFacts) => Call[];

/** Per port method, the requests its AWS adapter sends (lib/aws/). */
const PORT_CALLS: Record<string, PortCalls> = {
  "objects.list": ([prefix], f) => [
    { why: "ListObjectsV2", action: "s3:ListBucket", resource: f.bucketArn, context: { "s3:prefix": String(prefix) } },
  ],
  "objects.read": ([key], f) => [{ why: "GetObject", action: "s3:GetObject", resource: object(f, String(key)) }],
  "objects.head": ([key], f) => [{ why: "HeadObject", action: "s3:GetObject", resource: object(f, String(key)) }],
  "objects.delete": ([keys], f) =>
    (keys as string[]).map((key) => ({
      why: "DeleteObjects, per key",
      action: "s3:DeleteObject",
      resource: object(f, key),
    })),
  "objects.write": ([key], f) => [{ why: "PutObject", action: "s3:PutObject", resource: object(f, String(key)) }],
  // Create/UploadPart/CompleteMultipartUpload (or one PutObject) are all s3:PutObject; a failed build aborts.
  "objects.upload": ([key], f) => [
    { why: "multipart upload", action: "s3:PutObject", resource: object(f, String(key)) },
    { why: "AbortMultipartUpload", action: "s3:AbortMultipartUpload", resource: object(f, String(key)) },
  ],
  "objects.copy": ([from, to], f) => [
    { why: "CopyObject source", action: "s3:GetObject", resource: object(f, String(from)) },
    { why: "CopyObject target", action: "s3:PutObject", resource: object(f, String(to)) },
  ],
  "labels.get": (_, f) => [{ why: "BatchGetRecord", action: "sagemaker:BatchGetRecord", resource: f.featureGroupArn }],
  "labels.put": (_, f) => [{ why: "PutRecord", action: "sagemaker:PutRecord", resource: f.featureGroupArn }],
  "components.create": ([recipe], f) => {
    const { ComponentName: name } = JSON.parse(String(recipe)) as { ComponentName: string };
    const component = arn(f, "greengrass", `components:${name}`);
    return [
      { why: "CreateComponentVersion", action: "greengrass:CreateComponentVersion", resource: component },
      { why: "tags given at creation", action: "greengrass:TagResource", resource: component },
      { why: "Greengrass locates the artifacts", action: "s3:GetBucketLocation", resource: f.bucketArn },
      ...artifactKeys(String(recipe)).map((key) => ({
        why: "Greengrass reads each artifact as the caller",
        action: "s3:GetObject",
        resource: object(f, key),
      })),
    ];
  },
  "components.describe": ([name, version], f) => [
    {
      why: "DescribeComponent",
      action: "greengrass:DescribeComponent",
      resource: arn(f, "greengrass", `components:${name}:versions:${version}`),
    },
  ],
  "executions.list": (_, f) => [
    { why: "ListExecutions", action: "states:ListExecutions", resource: f.stateMachineArn },
  ],
  "engine.rows": (_, f) => athenaQuery(f),
  "engine.query": (_, f) => athenaQuery(f),
  "engine.close": () => [],
};

/**
 * One query over the label store's offline table (lib/aws/athenaQueryEngine.ts) and what Athena does with the
 * caller's rights (https://docs.aws.amazon.com/athena/latest/ug/security-iam-athena.html): read the table from Glue
 * and its files from S3, write the result file; the engine then reads that file.
 */
function athenaQuery(f: AccountFacts): Call[] {
  const { database, table, workgroup } = labelStoreCatalogNames(f.namePrefix);
  const offlineFile = `${DATA_LAKE_PREFIXES.labelStoreOffline}${f.account}/sagemaker/${f.region}/offline-store/${f.namePrefix}-labels-1764568800/data/year=2026/month=12/day=01/hour=06/part-0.parquet`;
  const resultFile = `${QUERY_RESULTS_PREFIX}5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d.csv`;
  const glue = [arn(f, "glue", "catalog"), arn(f, "glue", `database/${database}`)];
  return [
    ...["StartQueryExecution", "GetQueryExecution", "GetQueryResults"].map((op) => ({
      why: op,
      action: `athena:${op}`,
      resource: arn(f, "athena", `workgroup/${workgroup}`),
    })),
    ...glue.map((resource) => ({ why: "Athena reads the database", action: "glue:GetDatabase", resource })),
    ...[...glue, arn(f, "glue", `table/${database}/${table}`)].map((resource) => ({
      why: "Athena reads the table",
      action: "glue:GetTable",
      resource,
    })),
    { why: "Athena finds the bucket", action: "s3:GetBucketLocation", resource: f.bucketArn },
    {
      why: "Athena lists the table's files",
      action: "s3:ListBucket",
      resource: f.bucketArn,
      context: { "s3:prefix": DATA_LAKE_PREFIXES.labelStoreOffline },
    },
    { why: "Athena reads the table's files", action: "s3:GetObject", resource: object(f, offlineFile) },
    { why: "Athena writes the result file", action: "s3:PutObject", resource: object(f, resultFile) },
    { why: "the result file is read", action: "s3:GetObject", resource: object(f, resultFile) },
  ];
}

/** The requests one port call makes. */
export function portCallRequests(call: PortCall, facts: AccountFacts): Call[] {
  const calls = PORT_CALLS[`${call.port}.${call.method}`];
  if (!calls) throw new Error(`${call.port}.${call.method} is not in test/harness/productCalls.ts: say what it sends`);
  return calls(call.args, facts);
}
