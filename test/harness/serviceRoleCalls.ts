import { DATA_LAKE_PREFIXES, DEVICE_IMAGES_PREFIX } from "../../contracts/dataLake";
import type { AccountFacts, Call } from "./productCalls";

/**
 * What AWS services do with the roles they assume for us, and what a device does with its credentials, as requests.
 * Keyed by the role's resource name in the program; the permissions test fails on a role that is in neither this
 * table nor run by the state machine or a pipeline function, so a new role is a deliberate addition here.
 */
export interface DeviceFacts extends AccountFacts {
  thing: string;
  components: { model: string; inference: string };
  roleAlias: string;
  topic: string;
  /** The state machine ARN the trigger starter was given (its STATE_MACHINE_ARN). */
  starterTarget: string;
  namePrefix: string;
}

const objects = (f: AccountFacts, action: string, why: string, keys: string[]): Call[] =>
  keys.map((key) => ({ why, action, resource: `${f.bucketArn}/${key}` }));

export const SERVICE_ROLE_CALLS: Record<string, (f: DeviceFacts) => Call[]> = {
  // Ground Truth (https://docs.aws.amazon.com/sagemaker/latest/dg/sms-security-permissions-get-started.html).
  "pipeline-labeling-role": (f) => [
    ...objects(f, "s3:GetObject", "input manifest and images", [
      `${DATA_LAKE_PREFIXES.labeling}job-1/manifest.jsonl`,
      `${DATA_LAKE_PREFIXES.labeling}job-1/categories.json`,
      `${DATA_LAKE_PREFIXES.images}line-1/part-0001.jpg`,
      `${DEVICE_IMAGES_PREFIX}${f.thing}/2026/x.jpg`,
    ]),
    ...objects(f, "s3:PutObject", "job output", [`${DATA_LAKE_PREFIXES.labeling}job-1/output/manifest`]),
    ...objects(f, "s3:AbortMultipartUpload", "job output given up", [`${DATA_LAKE_PREFIXES.labeling}job-1/output/x`]),
    { why: "bucket region", action: "s3:GetBucketLocation", resource: f.bucketArn },
    {
      why: "job files",
      action: "s3:ListBucket",
      resource: f.bucketArn,
      context: { "s3:prefix": `${DATA_LAKE_PREFIXES.labeling}job-1/` },
    },
    {
      why: "worker metrics",
      action: "cloudwatch:PutMetricData",
      resource: "*",
      context: { "cloudwatch:namespace": "/aws/sagemaker/LabelingJobs" },
    },
    {
      why: "job logs",
      action: "logs:PutLogEvents",
      resource: `arn:aws:logs:${f.region}:${f.account}:log-group:/aws/sagemaker/LabelingJobs:log-stream:job-1`,
    },
  ],
  // Training reads the dataset's manifests, the images they list (bucket-root prefix + image keys) and the code
  // bundle, and writes the model; Neo reads the model and writes the compiled archive.
  "sagemaker-execution-role": (f) => [
    ...objects(f, "s3:GetObject", "training inputs", [
      `${DATA_LAKE_PREFIXES.datasets}d-1/train.manifest`,
      `${DATA_LAKE_PREFIXES.images}line-1/part-0001.jpg`,
      `${DEVICE_IMAGES_PREFIX}${f.thing}/2026/x.jpg`,
      `${DATA_LAKE_PREFIXES.trainingCode}training-0123.tar.gz`,
    ]),
    ...objects(f, "s3:PutObject", "model output", [
      `${DATA_LAKE_PREFIXES.models}${f.jobNames.trainingJob}/output/model.tar.gz`,
    ]),
    ...objects(f, "s3:GetObject", "Neo input", [`${DATA_LAKE_PREFIXES.models}7/neo-input.tar.gz`]),
    ...objects(f, "s3:PutObject", "Neo output", [`${DATA_LAKE_PREFIXES.compiled}7/neo/model-jetson_xavier.tar.gz`]),
    { why: "ECR login", action: "ecr:GetAuthorizationToken", resource: "*" },
  ],
  // Feature Store writes the label group's offline store.
  "labels-offline-store-role": (f) => [
    ...objects(f, "s3:PutObject", "offline store", [`${DATA_LAKE_PREFIXES.labelStoreOffline}${f.account}/x.parquet`]),
    { why: "bucket ownership", action: "s3:GetBucketAcl", resource: f.bucketArn },
  ],
  // Components on a device, with the credentials the IoT credentials provider issues for its thing.
  "fleet-token-exchange-role": (f) => {
    const context = { "credentials-iot:ThingName": f.thing };
    return [
      ...[f.components.model, f.components.inference].map((name) => ({
        why: "artifact download",
        action: "s3:GetObject",
        resource: `${f.bucketArn}/${DATA_LAKE_PREFIXES.components}${name}/1.0.7/model.zip`,
        context,
      })),
      { why: "artifact bucket region", action: "s3:GetBucketLocation", resource: f.bucketArn, context },
      {
        why: "uncertain image upload",
        action: "s3:PutObject",
        resource: `${f.bucketArn}/${DEVICE_IMAGES_PREFIX}${f.thing}/2026-12-01/x.jpg`,
        context,
      },
      {
        why: "Greengrass logs",
        action: "logs:PutLogEvents",
        resource: `arn:aws:logs:${f.region}:${f.account}:log-group:/aws/greengrass/UserComponent/${f.region}/x:log-stream:y`,
        context,
      },
    ];
  },
  // The simulated device's instance: its identity parameters and the sample images.
  "simulated-device-role": (f) => [
    ...objects(f, "s3:GetObject", "sample images", [`${DATA_LAKE_PREFIXES.images}line-1/part-0001.jpg`]),
    {
      why: "list sample images",
      action: "s3:ListBucket",
      resource: f.bucketArn,
      context: { "s3:prefix": DATA_LAKE_PREFIXES.images },
    },
  ],
  // Firehose delivers results under results/ (and what it cannot partition under results-undelivered/).
  "results-delivery-role": (f) => [
    ...objects(f, "s3:PutObject", "results", [
      `${DATA_LAKE_PREFIXES.results}inspections/day=2026-12-01/device=${f.thing}/x.json.gz`,
      `${DATA_LAKE_PREFIXES.resultsUndelivered}2026/12/01/x.gz`,
    ]),
    ...objects(f, "s3:AbortMultipartUpload", "given-up upload", [`${DATA_LAKE_PREFIXES.results}errors/x.json.gz`]),
    ...["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"].map((action) => ({
      why: "bucket checks",
      action,
      resource: f.bucketArn,
    })),
    {
      why: "delivery errors",
      action: "logs:PutLogEvents",
      resource: `arn:aws:logs:${f.region}:${f.account}:log-group:/aws/kinesisfirehose/${f.namePrefix}-results:log-stream:inspections`,
    },
  ],
  // The IoT rules put each message into its kind's stream and log failed actions.
  "results-rule-role": (f) => [
    ...["inspections", "errors"].flatMap((kind) =>
      ["firehose:PutRecord", "firehose:PutRecordBatch"].map((action) => ({
        why: `${kind} records`,
        action,
        resource: `arn:aws:firehose:${f.region}:${f.account}:deliverystream/${f.namePrefix}-results-${kind}`,
      })),
    ),
    ...["logs:CreateLogStream", "logs:PutLogEvents"].map((action) => ({
      why: "failed rule actions",
      action,
      resource: `arn:aws:logs:${f.region}:${f.account}:log-group:/aws/iot/${f.namePrefix}-results-rules:log-stream:x`,
    })),
  ],
  // The result-metrics function, invoked by the rules, writes its metrics as embedded-metric-format log lines.
  "results-monitoring-function-role": (f) =>
    ["logs:CreateLogStream", "logs:PutLogEvents"].map((action) => ({
      why: "EMF metric lines",
      action,
      resource: `arn:aws:logs:${f.region}:${f.account}:log-group:/aws/lambda/${f.namePrefix}-result-metrics:log-stream:x`,
    })),
  // The IoT rule that keeps each device's latest result for the deployment check.
  "fleet-device-results-role": (f) =>
    objects(f, "s3:PutObject", "latest result", [`${DATA_LAKE_PREFIXES.deviceResults}${f.thing}.json`]),
  // The new-images function records arrivals in the pending index and starts a run when enough wait.
  "pipeline-new-images-role": (f) => [
    ...objects(f, "s3:PutObject", "pending marker", [
      `${DATA_LAKE_PREFIXES.pending}${DATA_LAKE_PREFIXES.images}line-1/a.jpg`,
    ]),
    {
      why: "count pending images",
      action: "s3:ListBucket",
      resource: f.bucketArn,
      context: { "s3:prefix": DATA_LAKE_PREFIXES.pending },
    },
    { why: "busy?", action: "states:ListExecutions", resource: f.starterTarget },
    { why: "start a run", action: "states:StartExecution", resource: f.starterTarget },
  ],
  // The trigger starter starts runs.
  "pipeline-start-pipeline-role": (f) => [
    { why: "StartExecution", action: "states:StartExecution", resource: f.starterTarget },
  ],
};

/** What a core device does under the fleet's IoT policy: connect as itself, its topics, credentials, deployments. */
export function deviceCalls(f: DeviceFacts): Call[] {
  const iot = (resource: string) => `arn:aws:iot:${f.region}:${f.account}:${resource}`;
  const gg = (resource: string) => `arn:aws:greengrass:${f.region}:${f.account}:${resource}`;
  const context = { "iot:Connection.Thing.ThingName": f.thing };
  const calls: Omit<Call, "context">[] = [
    { why: "connect", action: "iot:Connect", resource: iot(`client/${f.thing}`) },
    { why: "results", action: "iot:Publish", resource: iot(`topic/${f.topic}`) },
    { why: "jobs", action: "iot:Subscribe", resource: iot(`topicfilter/$aws/things/${f.thing}/jobs/notify-next`) },
    { why: "jobs", action: "iot:Receive", resource: iot(`topic/$aws/things/${f.thing}/jobs/notify-next`) },
    { why: "shadow", action: "iot:Publish", resource: iot(`topic/$aws/things/${f.thing}/shadow/get`) },
    { why: "credentials", action: "iot:AssumeRoleWithCertificate", resource: iot(`rolealias/${f.roleAlias}`) },
    ...[f.components.model, f.components.inference].map((name) => ({
      why: "artifacts",
      action: "greengrass:GetComponentVersionArtifact",
      resource: gg(`components:${name}:versions:1.0.7`),
    })),
    { why: "deployment", action: "greengrass:GetDeploymentConfiguration", resource: gg("deployments:5a6b7c8d") },
    { why: "resolve", action: "greengrass:ResolveComponentCandidates", resource: "*" },
  ];
  return calls.map((call) => ({ ...call, context }));
}
