import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { GreengrassV2Client } from "@aws-sdk/client-greengrassv2";
import { S3Client } from "@aws-sdk/client-s3";
import { SageMakerClient } from "@aws-sdk/client-sagemaker";
import { SFNClient } from "@aws-sdk/client-sfn";
import { expect } from "chai";
import { z } from "zod";
import { CliEnvironment, runCli } from "../../cli/main";
import { StageDefinition } from "../../stateMachines/progress";
import { FakeStepFunctions } from "../fakes/fakeStepFunctions";
import { HistoryBuilder } from "../harness/sfnHistory";

const STAGES: StageDefinition[] = [
  { name: "Find images", states: ["FindUnlabeledImages"] },
  { name: "Labeling", states: ["Labeling"] },
  { name: "Training", states: ["Train"] },
];
const inputSchema = z.object({ maxImages: z.number().int().positive().optional() }).strict();

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

describe("pipeline CLI against a local Step Functions endpoint", () => {
  const fake = new FakeStepFunctions();
  const arnFlag = ["--state-machine-arn", fake.stateMachineArn];
  let sleeps: number[];

  before(() => fake.start());
  after(() => fake.stop());
  beforeEach(() => {
    fake.executions.clear();
    fake.calls.length = 0;
    sleeps = [];
  });

  async function cli(args: string[], overrides: Partial<CliEnvironment> = {}): Promise<Run> {
    let stdout = "";
    let stderr = "";
    const env: CliEnvironment = {
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: (text: string) => (stderr += text) },
      createClient: (region) =>
        new SFNClient({
          region: region ?? "eu-west-1",
          endpoint: fake.endpoint,
          credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "secret" },
        }),
      createGreengrassClient: (region) => new GreengrassV2Client({ region: region ?? "eu-west-1" }),
      createSageMakerClient: (region) => new SageMakerClient({ region: region ?? "eu-west-1" }),
      createS3Client: (region) => new S3Client({ region: region ?? "eu-west-1" }),
      stages: STAGES,
      inputSchema,
      now: () => new Date("2026-11-29T10:30:00Z"),
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      pollMs: 1000,
      maxPollMs: 8000,
      ...overrides,
    };
    const code = await runCli(args, env);
    return { code, stdout, stderr };
  }

  const successful = () =>
    new HistoryBuilder().started().task("FindUnlabeledImages", 2).task("Labeling", 240).task("Train", 600).succeeded({
      deployed: true,
    }).events;

  it("starts an execution, watches it to success and exits 0", async () => {
    fake.plan("run-1", successful(), 4);
    const run = await cli(["start", ...arnFlag, "--name", "run-1", "--wait"]);
    expect(run.stderr).to.equal("");
    expect(run.code).to.equal(0);
    expect(run.stdout).to.contain(`started ${fake.stateMachineArn.replace(":stateMachine:", ":execution:")}:run-1`);
    expect(run.stdout).to.contain("console: https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#");
    const lines = run.stdout.split("\n").filter((l) => l.startsWith("["));
    expect(lines.map((l) => l.replace(/^\[[\d:]+\] /, ""))).to.deep.equal([
      "Find images: succeeded in 2s",
      "Labeling: running",
      "Labeling: succeeded in 4m 00s",
      "Training: running",
      "Training: succeeded in 10m 00s",
    ]);
    expect(run.stdout).to.contain("SUCCEEDED");
    expect(sleeps.length).to.be.greaterThan(2);
    const start = fake.calls.find((c) => c.action === "StartExecution")!;
    expect(start.body).to.include({ name: "run-1", input: "{}" });
  });

  it("names a manual execution after the minute and its input, so a double start is refused", async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), "qi-cli-")), "input.json");
    writeFileSync(file, JSON.stringify({ maxImages: 10 }));
    const first = await cli(["start", ...arnFlag, "--input", file, "--json"]);
    expect(first.code).to.equal(0);
    const started = JSON.parse(first.stdout);
    expect(started.name).to.match(/^manual-20261129T1030-[0-9a-f]{8}$/);
    expect(started.consoleUrl).to.contain(started.executionArn);
    const second = await cli(["start", ...arnFlag, "--input", file]);
    expect(second.code).to.equal(1);
    expect(second.stderr).to.contain("already exists");
  });

  it("starts nothing while another run has not ended, naming it and how to wait for or stop it (exit 1)", async () => {
    fake.addExecution("scheduled-20261129T060000Z", new HistoryBuilder().started().task("Labeling", 60).events);
    fake.addExecution("manual-done", successful());
    const run = await cli(["start", ...arnFlag, "--name", "run-2"]);
    expect(run.code).to.equal(1);
    expect(run.stderr).to.match(/another run of the pipeline has not ended: scheduled-20261129T060000Z \(started /);
    expect(run.stderr).to.contain("npm run pipeline -- watch scheduled-20261129T060000Z");
    expect(run.stderr).to.contain("(nothing was started)");
    expect(fake.calls.map((c) => c.action)).to.not.include("StartExecution");
  });

  it("refuses an input the state machine would refuse, naming the field", async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), "qi-cli-")), "input.json");
    writeFileSync(file, JSON.stringify({ maxImages: -1 }));
    const run = await cli(["start", ...arnFlag, "--input", file]);
    expect(run.code).to.equal(2);
    expect(run.stderr).to.contain("input.maxImages: Too small: expected number to be >0");
    expect(fake.calls.map((c) => c.action)).to.not.include("StartExecution");
  });

  it("watches an execution to failure, prints the failed state, error and cause, and exits 1", async () => {
    const history = new HistoryBuilder()
      .started()
      .task("FindUnlabeledImages")
      .enter("Train")
      .attempt({ error: "SageMaker.TrainingJobFailed", cause: "AlgorithmError: loss is NaN" }, 60)
      .task("NotifyFailure")
      .enter("PipelineFailed", "Fail")
      .failed("SageMaker.TrainingJobFailed", "AlgorithmError: loss is NaN");
    const execution = fake.addExecution("broken", history.events, 3);
    execution.error = "SageMaker.TrainingJobFailed";
    execution.cause = "AlgorithmError: loss is NaN";
    const run = await cli(["watch", "broken", ...arnFlag]);
    expect(run.code).to.equal(1);
    expect(run.stdout).to.contain("FAILED after");
    expect(run.stdout).to.contain("failed state: Train");
    expect(run.stdout).to.contain("error: SageMaker.TrainingJobFailed");
    expect(run.stdout).to.contain("cause: AlgorithmError: loss is NaN");
  });

  it("gives a script one JSON document with stages and the failure", async () => {
    const history = new HistoryBuilder().started().enter("Train").attempt({ error: "E", cause: "C" }).failed("E", "C");
    fake.addExecution("json-fail", history.events);
    const run = await cli(["--json", "watch", fake.executions.values().next().value!.executionArn]);
    expect(run.code).to.equal(1);
    const result = JSON.parse(run.stdout);
    expect(result).to.include({ status: "FAILED", failedState: "Train", error: "E", cause: "C" });
    expect(result.stages.map((s: { status: string }) => s.status)).to.deep.equal(["skipped", "skipped", "failed"]);
  });

  it("says when an execution does not exist", async () => {
    const run = await cli(["describe", "nope", ...arnFlag]);
    expect(run.code).to.equal(1);
    expect(run.stderr).to.equal(
      `error: execution not found: ${fake.stateMachineArn.replace(":stateMachine:", ":execution:")}:nope\n`,
    );
  });

  it("rides out throttling with the SDK's retries", async () => {
    fake.addExecution("busy", successful());
    fake.failNext(
      "DescribeExecution",
      { type: "ThrottlingException", message: "Rate exceeded" },
      { type: "ThrottlingException", message: "Rate exceeded" },
    );
    const run = await cli(["watch", "busy", ...arnFlag]);
    expect(run.code).to.equal(0);
    expect(fake.calls.filter((c) => c.action === "DescribeExecution").length).to.equal(3);
  });

  it("reports access denied with the resource", async () => {
    fake.addExecution("secret", successful());
    fake.failNext("DescribeExecution", {
      type: "AccessDeniedException",
      message: "User is not authorized to perform: states:DescribeExecution",
    });
    const run = await cli(["describe", "secret", ...arnFlag]);
    expect(run.code).to.equal(1);
    expect(run.stderr).to.match(/access denied on arn:aws:states:.*:secret: User is not authorized/);
  });

  it("polls less often while nothing happens", async () => {
    const history = new HistoryBuilder().started().enter("Train").events;
    const execution = fake.addExecution("slow", history, 0);
    let polls = 0;
    await cli(["watch", "slow", ...arnFlag], {
      sleep: async (ms) => {
        sleeps.push(ms);
        polls += 1;
        if (polls === 6) {
          execution.history.push(
            ...new HistoryBuilder().started().enter("Train").attempt("ok").exit("Train").succeeded().events.slice(2),
          );
          execution.revealed = execution.history.length;
        }
      },
    });
    expect(sleeps).to.deep.equal([1000, 1500, 2250, 3375, 5063, 7595]);
  });

  it("lists executions newest first, filtered and capped", async () => {
    for (let i = 0; i < 7; i += 1) {
      const history = new HistoryBuilder(new Date(Date.UTC(2026, 10, 29, 10, i))).started().task("Train");
      if (i % 2 === 0) history.succeeded();
      fake.addExecution(`run-${i}`, history.events);
    }
    const all = await cli(["list", ...arnFlag, "--max", "5", "--json"]);
    expect(JSON.parse(all.stdout).map((e: { name: string }) => e.name)).to.deep.equal([
      "run-6",
      "run-5",
      "run-4",
      "run-3",
      "run-2",
    ]);
    const running = await cli(["list", ...arnFlag, "--status", "RUNNING"]);
    expect(
      running.stdout
        .trim()
        .split("\n")
        .map((l) => l.split(" ")[0]),
    ).to.deep.equal(["run-5", "run-3", "run-1"]);
  });

  it("stops an execution with a cause", async () => {
    fake.addExecution("stop-me", new HistoryBuilder().started().enter("Train").events);
    const run = await cli(["stop", "stop-me", ...arnFlag, "--cause", "wrong images uploaded"]);
    expect(run.code).to.equal(0);
    expect(fake.calls.at(-1)?.body).to.include({ cause: "wrong images uploaded" });
    const described = await cli(["describe", "stop-me", ...arnFlag, "--json"]);
    expect(JSON.parse(described.stdout).status).to.equal("ABORTED");
  });

  it("redraws the stage table in place on a terminal", async () => {
    fake.plan("tty", successful(), 6);
    let stdout = "";
    const run = await cli(["start", ...arnFlag, "--name", "tty", "--wait"], {
      stdout: { isTTY: true, write: (text: string) => (stdout += text) },
    });
    expect(run.code).to.equal(0);
    expect(stdout).to.contain("\x1b[3A\x1b[J");
    expect(stdout).to.match(/✔ Training\s+succeeded\s+10m 00s/);
  });

  const usage: [string[], RegExp][] = [
    [["list", "--max", "0"], /--max must be a whole number from 1 to 1000 \(got "0"\)/],
    [["list", "--max", "many"], /--max must be a whole number from 1 to 1000/],
    [["list", "--status", "DONE"], /--status must be one of RUNNING, SUCCEEDED/],
    [["--region", "mars", "list"], /--region must be an AWS region such as eu-west-1 \(got "mars"\)/],
    [["start", "--name", "has spaces"], /--name must be 1–80 letters, digits, - or _/],
    [["start", "--input", "/nonexistent/input.json"], /--input \/nonexistent\/input.json cannot be read/],
    [["watch", "run-1"], /needs the state machine: pass --stack or --state-machine-arn/],
    [["watch", "arn:aws:states:eu-west-1:123:nope"], /must be an execution ARN or name/],
    [["frobnicate"], /unknown command/],
  ];
  for (const [args, message] of usage) {
    it(`exits 2 on a usage error: ${args.join(" ")}`, async () => {
      const run = await cli(
        args.includes("--state-machine-arn")
          ? args
          : [...args, ...(args[0] === "list" || args[0] === "start" ? arnFlag : [])],
      );
      expect(run.code).to.equal(2);
      expect(run.stderr).to.match(message);
    });
  }
});
