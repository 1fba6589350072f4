import { expect } from "chai";
import { parseStackConfig } from "../../config/schema";
import { DATA_LAKE_PREFIXES } from "../../contracts/dataLake";
import type { createInfrastructure } from "../../infrastructure";
import { ProgramRun, readStack, RecordedResource, runStack } from "../harness/pulumiProgram";

const statementsOf = (resource: RecordedResource, field = "policy") =>
  (
    JSON.parse(resource.inputs[field] as string) as {
      Statement: { Sid: string; Action: string[]; Resource: string[]; Principal?: unknown; Condition?: unknown }[];
    }
  ).Statement;

describe("the new-images trigger (Pulumi mocks)", () => {
  let run: ProgramRun<ReturnType<typeof createInfrastructure>>;
  const config = parseStackConfig(readStack("dev"), "dev");
  before(async () => {
    run = await runStack("dev", readStack("dev"));
  });

  it("has the data lake send its events to EventBridge", () => {
    const notification = run.one("aws:s3/bucketNotification:BucketNotification");
    expect(notification.inputs.eventbridge).to.equal(true);
  });

  it("invokes the new-images function for images created in the stack's bucket, and on a periodic check", () => {
    const rule = run.one("aws:cloudwatch/eventRule:EventRule", "pipeline-image-created");
    const pattern = JSON.parse(rule.inputs.eventPattern as string);
    expect(pattern.source).to.deep.equal(["aws.s3"]);
    expect(pattern["detail-type"]).to.deep.equal(["Object Created"]);
    expect(pattern.detail.object.key).to.deep.equal([{ prefix: DATA_LAKE_PREFIXES.images }]);
    expect(pattern.detail.bucket.name).to.have.length(1);
    const check = run.one("aws:cloudwatch/eventRule:EventRule", "pipeline-pending-check");
    expect(check.inputs.scheduleExpression).to.match(/^rate\(\d+ minutes\)$/);
    const fn = run.one("aws:lambda/function:Function", "pipeline-new-images");
    expect(fn.inputs.environment).to.deep.include({
      variables: {
        BUCKET_NAME: (fn.inputs.environment as { variables: Record<string, string> }).variables.BUCKET_NAME,
        STATE_MACHINE_ARN: (fn.inputs.environment as { variables: Record<string, string> }).variables.STATE_MACHINE_ARN,
        MIN_IMAGES: String(config.newImagesTrigger.minImages),
        MAX_WAIT_MINUTES: String(config.newImagesTrigger.maxWaitMinutes),
      },
    });
  });

  it("gives every rule target a retry policy and the dead-letter queue, which only those rules may write", () => {
    const dlq = run.one("aws:sqs/queue:Queue", "pipeline-dlq");
    expect(dlq.inputs.sqsManagedSseEnabled).to.equal(true);
    const targets = run
      .ofType("aws:cloudwatch/eventTarget:EventTarget")
      .filter((t) => /image-created|pending-check/.test(t.name));
    expect(targets).to.have.length(2);
    for (const target of targets) {
      expect(target.inputs.retryPolicy, target.name).to.deep.equal({
        maximumEventAgeInSeconds: 3600,
        maximumRetryAttempts: 20,
      });
      expect((target.inputs.deadLetterConfig as { arn: string }).arn, target.name)
        .to.be.a("string")
        .and.not.equal("");
    }
    const [statement] = statementsOf(run.one("aws:sqs/queuePolicy:QueuePolicy", "pipeline-dlq-policy"));
    expect(statement.Action).to.deep.equal(["sqs:SendMessage"]);
    expect(statement.Principal).to.deep.equal({ Service: ["events.amazonaws.com"] });
    expect((statement.Condition as { ArnEquals: Record<string, string[]> }).ArnEquals["aws:SourceArn"]).to.have.length(
      2,
    );
  });

  it("alerts when an invocation fails after Lambda's retries", () => {
    const config = run.one("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig");
    const destination = (config.inputs.destinationConfig as { onFailure: { destination: string } }).onFailure;
    expect(destination.destination).to.match(/:Topic\/pipeline-alerts$/);
  });

  it("lets the function write and list pending/ only, start and list runs, and publish alerts", () => {
    const policy = run.one("aws:iam/rolePolicy:RolePolicy", "pipeline-new-images-access");
    const bySid = Object.fromEntries(statementsOf(policy).map((s) => [s.Sid, s]));
    expect(bySid.RecordPendingImages.Action).to.deep.equal(["s3:PutObject"]);
    expect(bySid.RecordPendingImages.Resource[0]).to.match(/\/pending\/\*$/);
    expect(bySid.ListPendingImages.Condition).to.deep.equal({ StringLike: { "s3:prefix": ["pending/*"] } });
    expect(Object.keys(bySid).sort()).to.deep.equal(
      [
        "AlertOnFailure",
        "ListPendingImages",
        "ListRunningRuns",
        "RecordPendingImages",
        "StartRuns",
        "WriteOwnLogs",
        "WriteTraces",
      ].sort(),
    );
  });

  it("is left out when trigger.newImages is false", async () => {
    const off = await runStack("dev", { ...readStack("dev"), "qualityinspection:trigger.newImages": "false" });
    expect(off.ofType("aws:cloudwatch/eventRule:EventRule").map((r) => r.name)).to.not.include(
      "pipeline-image-created",
    );
    expect(off.ofType("aws:s3/bucketNotification:BucketNotification")).to.have.length(0);
  });
});
