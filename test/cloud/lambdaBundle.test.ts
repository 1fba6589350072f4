import { expect } from "chai";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { bundleLambda, LambdaBundle } from "../../cloud/lambdaBundle";
import { PIPELINE_FUNCTIONS, STARTER_FUNCTION } from "../../stateMachines/functions";

const ENTRIES = [...Object.values(PIPELINE_FUNCTIONS), STARTER_FUNCTION].map((fn) => fn.entry);
const MAX_BUNDLE_BYTES = 1024 * 1024;
const ENV = {
  BUCKET_NAME: "qi-test-lake",
  FEATURE_GROUP_NAME: "qi-dev-labels",
  COMPONENT_ARN_PREFIX: "arn:aws:greengrass:eu-west-1:123456789012:components:",
  STATE_MACHINE_ARN: "arn:aws:states:eu-west-1:123456789012:stateMachine:qi-dev-pipeline",
  AWS_REGION: "eu-west-1",
};

/** Lays a bundle out as Lambda would unpack it (native files linked, not copied) and runs `script` next to it. */
function runBeside(bundle: LambdaBundle, script: string, env: Record<string, string> = ENV): string {
  const dir = mkdtempSync(path.join(tmpdir(), "lambda-bundle-"));
  try {
    writeFileSync(path.join(dir, "index.js"), bundle.code);
    for (const [name, file] of Object.entries(bundle.files)) {
      mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      symlinkSync(file, path.join(dir, name));
    }
    // A clean environment: the bundle must not find this repository's node_modules.
    return execFileSync(process.execPath, ["-e", script], {
      cwd: dir,
      env: { PATH: process.env.PATH, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    }).toString();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("the Lambda bundles", function () {
  this.timeout(120_000);
  const bundles = new Map<string, LambdaBundle>();
  before(async () => {
    for (const entry of ENTRIES) bundles.set(entry, await bundleLambda(entry));
  });

  it("stay under 1 MB each, apart from the onnxruntime function's native library", () => {
    for (const entry of ENTRIES) {
      const bundle = bundles.get(entry)!;
      if (entry !== PIPELINE_FUNCTIONS.compileOnnx.entry) {
        expect(bundle.codeBytes, entry).to.be.below(MAX_BUNDLE_BYTES);
        expect(bundle.files, entry).to.deep.equal({});
      }
    }
  });

  it("each load on their own and export a handler", () => {
    for (const entry of ENTRIES) {
      const output = runBeside(bundles.get(entry)!, "process.stdout.write(typeof require('./index.js').handler)");
      expect(output, entry).to.equal("function");
    }
  });

  it("ship onnxruntime with its linux-x64 binaries only", () => {
    const files = Object.keys(bundles.get(PIPELINE_FUNCTIONS.compileOnnx.entry)!.files);
    expect(files).to.include("node_modules/onnxruntime-node/bin/napi-v6/linux/x64/onnxruntime_binding.node");
    expect(
      files.some((f) => /\/(darwin|win32|arm64)\//.test(f)),
      "other platforms",
    ).to.equal(false);
    expect(files).to.include("node_modules/onnxruntime-common/dist/cjs/index.js");
  });

  it("run a handler from the bundle, with zod's English messages", () => {
    const event = {
      input: { imagesPrefix: "datasets/" },
      execution: { name: "run-1", startTime: "2026-12-01T06:00:00Z" },
      stateMachineArn: "arn:aws:states:eu-west-1:123456789012:stateMachine:qi-dev-pipeline",
      settings: { namePrefix: "qi-dev", modelPackageGroupName: "g", compilationTarget: "onnx" },
    };
    const script = `require('./index.js').handler(${JSON.stringify(event)}).then(() => process.stdout.write('ok'), (e) => process.stdout.write(e.name + ': ' + e.message))`;
    const output = runBeside(bundles.get(PIPELINE_FUNCTIONS.startRun.entry)!, script);
    expect(output).to.match(/^InvalidPipelineInputError: invalid event: imagesPrefix: must be a folder under images\//);
  });

  it("fail at cold start, by name, when their environment is incomplete", () => {
    let error = "";
    try {
      runBeside(bundles.get(PIPELINE_FUNCTIONS.buildDataset.entry)!, "require('./index.js')", {
        AWS_REGION: "eu-west-1",
      });
    } catch (e) {
      error = String((e as { stderr: Buffer }).stderr);
    }
    expect(error).to.contain("missing or invalid environment variables: BUCKET_NAME");
  });
});
