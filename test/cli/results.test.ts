import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
} from "@aws-sdk/client-athena";
import { GreengrassV2Client } from "@aws-sdk/client-greengrassv2";
import { S3Client } from "@aws-sdk/client-s3";
import { SageMakerClient } from "@aws-sdk/client-sagemaker";
import { SFNClient } from "@aws-sdk/client-sfn";
import { mockClient } from "aws-sdk-client-mock";
import { expect } from "chai";
import { CliEnvironment, runCli } from "../../cli/main";
import { sinceOf } from "../../cli/results";
import { pipelineInputSchema } from "../../contracts/pipelineInput";
import { localLakeRoot } from "../../lib/results/duckDbResults";
import { ResultsBuffer } from "../../lib/results/resultsBuffer";
import { PIPELINE_STAGES } from "../../stateMachines/stages";
import { FileObjectStore } from "../../offline/fileObjectStore";
import { GeneratedInspection, generateInspections } from "../harness/inspectionResults";

const NOW = new Date();

async function cli(args: string[], overrides: Partial<CliEnvironment> = {}) {
  let stdout = "";
  let stderr = "";
  const env: CliEnvironment = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    createClient: () => new SFNClient({ region: "eu-west-1" }),
    createGreengrassClient: () => new GreengrassV2Client({ region: "eu-west-1" }),
    createSageMakerClient: () => new SageMakerClient({ region: "eu-west-1" }),
    createS3Client: () => new S3Client({ region: "eu-west-1" }),
    stages: PIPELINE_STAGES,
    inputSchema: pipelineInputSchema,
    now: () => NOW,
    sleep: () => Promise.resolve(),
    pollMs: 1,
    maxPollMs: 1,
    pulumi: () => Promise.reject(Object.assign(new Error("no pulumi here"), { code: "ENOENT" })),
    ...overrides,
  };
  const code = await runCli(args, env);
  return { code, stdout, stderr };
}

describe("pipeline results", () => {
  let stateDir: string;
  let inspections: GeneratedInspection[];

  before(async () => {
    stateDir = mkdtempSync(path.join(tmpdir(), "qi-results-cli-"));
    inspections = generateInspections({
      devices: ["line-1-a", "line-2-a"],
      perDevice: 30,
      start: new Date(NOW.getTime() - 30 * 7 * 60_000),
    });
    const buffer = new ResultsBuffer(new FileObjectStore(localLakeRoot(stateDir), "lake"));
    for (const { message } of inspections) buffer.addResult(message);
    await buffer.flush();
  });
  after(() => rmSync(stateDir, { recursive: true, force: true }));

  it("prints the defect rate by model version of an offline run's lake (DuckDB), as a table", async () => {
    const run = await cli(["results", "--state-dir", stateDir, "--by", "model-version", "--since", "7d"]);
    expect(run.code, run.stderr).to.equal(0);
    const lines = run.stdout.trimEnd().split("\n");
    expect(lines[0].split(/\s+/)).to.deep.equal([
      "model_name",
      "model_version",
      "inspections",
      "failed",
      "defect_rate",
    ]);
    for (const version of ["1.0.6", "1.0.7"]) {
      const of = inspections.filter((i) => i.message.modelVersion === version);
      const failed = of.filter((i) => i.failed).length;
      const line = lines.find((l) => l.includes(version))!;
      expect(line.split(/\s{2,}/).slice(2)).to.deep.equal([
        String(of.length),
        String(failed),
        `${((Math.round((failed / of.length) * 10_000) / 10_000) * 100).toFixed(2)} %`,
      ]);
    }
    expect(run.stderr).to.equal("");
  });

  it("prints one JSON document with --json, reading only --since", async () => {
    const run = await cli(["--json", "results", "--state-dir", stateDir, "--since", "60m"]);
    expect(run.code, run.stderr).to.equal(0);
    const report = JSON.parse(run.stdout) as {
      engine: string;
      query: string;
      since: string;
      rows: { inspections: number }[];
    };
    expect(report).to.include({ engine: "duckdb", query: "defectRateByDeviceHour" });
    expect(report.since).to.equal(new Date(NOW.getTime() - 3_600_000).toISOString());
    const recent = inspections.filter((i) => i.message.timestamp >= report.since).length;
    expect(report.rows.reduce((sum, r) => sum + r.inspections, 0)).to.equal(recent);
  });

  it("refuses bad flags with one line naming the flag and the form, exit 2", async () => {
    const bad = await cli(["results", "--state-dir", stateDir, "--since", "yesterday"]);
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.match(/^error: --since must be a duration such as 90m, 24h, 7d, or a UTC time/);
    const by = await cli(["results", "--state-dir", stateDir, "--by", "colour"]);
    expect(by.code).to.equal(2);
    expect(by.stderr).to.include("--by must be one of device-hour, model-version, line, uncertain, silent");
    const missing = await cli(["results", "--state-dir", path.join(stateDir, "nope")]);
    expect(missing.code).to.equal(2);
    expect(missing.stderr).to.include("holds no local data lake");
    expect(() => sinceOf("2026-02-30T25:00Z", NOW)).to.throw(/--since/);
  });

  it("runs the same SQL on Athena in the stack's workgroup, with a progress line on stderr", async () => {
    const athena = mockClient(AthenaClient);
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: "q-1" });
    athena
      .on(GetQueryExecutionCommand)
      .resolvesOnce({
        QueryExecution: { Status: { State: "RUNNING" }, Statistics: { DataScannedInBytes: 5 * 1048576 } },
      })
      .resolves({
        QueryExecution: { Status: { State: "SUCCEEDED" }, Statistics: { DataScannedInBytes: 6 * 1048576 } },
      });
    athena.on(GetQueryResultsCommand).resolves({
      ResultSet: {
        ResultSetMetadata: {
          ColumnInfo: [
            { Name: "line", Type: "varchar" },
            { Name: "defect_rate", Type: "double" },
          ],
        },
        Rows: [
          { Data: [{ VarCharValue: "line" }, { VarCharValue: "defect_rate" }] },
          { Data: [{ VarCharValue: "line-1" }, { VarCharValue: "0.125" }] },
        ],
      },
    });
    const outputs = { resultsWorkgroupName: "qi-dev-results", resultsDatabaseName: "qi_dev_results" };
    const run = await cli(["results", "--stack", "dev", "--by", "line"], {
      pulumi: () => Promise.resolve({ stdout: JSON.stringify(outputs) }),
      createAthenaClient: () => athena as unknown as AthenaClient,
    });
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stderr.trimEnd().split("\n")).to.deep.equal([
      "athena: RUNNING 0.0 s, 5.0 MB scanned",
      "athena: SUCCEEDED 0.0 s, 6.0 MB scanned",
    ]);
    expect(run.stdout).to.equal("line    defect_rate\nline-1      12.50 %\n");
    const input = athena.commandCalls(StartQueryExecutionCommand)[0].args[0].input;
    expect(input).to.deep.include({
      WorkGroup: "qi-dev-results",
      QueryExecutionContext: { Database: "qi_dev_results" },
    });
    expect(input.QueryString).to.include("regexp_extract(device, '(line-[0-9]+)', 1)");
    athena.restore();
  });
});
