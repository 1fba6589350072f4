import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { expect } from "chai";
import { FakeStepFunctions } from "../fakes/fakeStepFunctions";
import { HistoryBuilder } from "../harness/sfnHistory";

const BIN = path.resolve(__dirname, "..", "..", "cli", "bin.js");

/** Runs the installed command as a user would, with only the environment given. */
function qiPipeline(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { PATH: process.env.PATH!, ...env } },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
      },
    );
  });
}

describe("the qi-pipeline command", () => {
  const fake = new FakeStepFunctions();
  const home = mkdtempSync(path.join(tmpdir(), "qi-home-"));
  let aws: Record<string, string>;
  const arnFlag = ["--state-machine-arn", fake.stateMachineArn];

  before(async () => {
    await fake.start();
    aws = {
      HOME: home,
      AWS_REGION: "eu-west-1",
      AWS_ACCESS_KEY_ID: "AKIDTEST",
      AWS_SECRET_ACCESS_KEY: "secret",
      AWS_ENDPOINT_URL_SFN: fake.endpoint,
    };
  });
  after(() => fake.stop());

  it("exits 0 when the watched execution succeeds, showing the pipeline's stages", async () => {
    const history = new HistoryBuilder().started().task("StartRun").pass("ChooseMode", "Choice").task("TrainModel", 30);
    fake.addExecution("ok-run", history.succeeded({ outcome: "deployed" }).events);
    const run = await qiPipeline(["watch", "ok-run", ...arnFlag], aws);
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stdout).to.contain("Start: succeeded");
    expect(run.stdout).to.contain("Training: succeeded in 30s");
  });

  it("exits 1 when it fails, naming the failed state", async () => {
    const history = new HistoryBuilder()
      .started()
      .enter("StartNeoCompilation")
      .attempt({ error: "SageMaker.ValidationException", cause: "Unsupported target" })
      .pass("StartNeoCompilationFailed")
      .task("NotifyFailure")
      .enter("PipelineFailed", "Fail")
      .failed("SageMaker.ValidationException", "Unsupported target");
    fake.addExecution("bad-run", history.events);
    const run = await qiPipeline(["watch", "bad-run", ...arnFlag], aws);
    expect(run.code).to.equal(1);
    expect(run.stdout).to.match(/Compilation: failed in \d+s \(SageMaker.ValidationException\)/);
    expect(run.stdout).to.contain("failed state: StartNeoCompilation");
  });

  it("exits 2 on an input the state machine's schema refuses, naming the field", async () => {
    const file = path.join(home, "deploy.json");
    writeFileSync(file, JSON.stringify({ mode: "deploy", modelPackageArn: "my-model", colour: "red" }));
    const run = await qiPipeline(["start", ...arnFlag, "--input", file], aws);
    expect(run.code).to.equal(2);
    expect(run.stderr).to.match(/input\.modelPackageArn: must be the ARN of a versioned model package/);
    expect(run.stderr).to.match(/colour/);
  });

  it("says how to provide credentials when there are none", async () => {
    const run = await qiPipeline(["describe", "x", ...arnFlag], {
      HOME: home,
      AWS_REGION: "eu-west-1",
      AWS_ENDPOINT_URL_SFN: fake.endpoint,
      AWS_EC2_METADATA_DISABLED: "true",
    });
    expect(run.code).to.equal(1);
    expect(run.stderr).to.contain("no AWS credentials found: set AWS_PROFILE");
  });

  it("has the cleanup command, which reads the stack's outputs with the Pulumi CLI", async () => {
    const run = await qiPipeline(["cleanup", "--stack", "dev", "--dry-run"], {
      ...aws,
      // Only node on the PATH, so no pulumi either.
      PATH: path.dirname(process.execPath),
    });
    expect(run.code).to.equal(1);
    expect(run.stderr).to.contain("error: the Pulumi CLI is not on PATH: install it\n");
  });
});
