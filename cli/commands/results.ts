import { existsSync } from "node:fs";
import * as path from "node:path";
import { AthenaClient } from "@aws-sdk/client-athena";
import type { Command } from "commander";
import { AthenaQueryEngine } from "../../lib/aws/athenaQueryEngine";
import type { QueryEngine } from "../../lib/query/engine";
import { localLakeRoot, openResultsEngine } from "../../lib/results/duckDbResults";
import { NAMED_QUERIES } from "../../lib/results/queries";
import type { CommandContext } from "../context";
import { CliError, UsageError } from "../errors";
import { check, flag } from "../flags";
import { formatResults, progressLine, RESULT_VIEWS, resultsFlags, ResultsReport, sinceOf } from "../results";
import { PROJECT_DIR, selectedStackName, stackConfigFromFile, stackOutputs } from "../stack";

interface ResultsOptions {
  by: string;
  since: string;
  limit: string;
  stack?: string;
  stateDir?: string;
}

/** `results`: the named results queries, on Athena in the stack's workgroup or on DuckDB over an offline run's lake. */
export function register(program: Command, context: CommandContext): void {
  program
    .command("results")
    .description("defect rates of the stored inspection results (Athena in AWS, DuckDB with --state-dir)")
    .option("--by <view>", `${Object.keys(RESULT_VIEWS).join(", ")}`, "device-hour")
    .option("--since <when>", "a duration (90m, 24h, 7d) or a UTC time (2026-11-29, 2026-11-29T18:00Z)", "24h")
    .option("--limit <n>", "rows of --by uncertain", "20")
    .option(
      "--stack <stack>",
      "Pulumi stack whose config and outputs to use (default: the selected stack; dev offline)",
    )
    .option("--state-dir <dir>", "query an offline run's data lake (npm start's --state-dir) with DuckDB instead")
    .action(context.action((options: ResultsOptions) => runResults(options, context)));
}

async function runResults(options: ResultsOptions, context: CommandContext): Promise<void> {
  const { env, print } = context;
  const query = RESULT_VIEWS[check(resultsFlags.by, options.by)];
  const window = sinceOf(options.since, env.now());
  const limit = check(resultsFlags.limit, options.limit);
  if (options.stack !== undefined) check(flag.stack, options.stack);
  const offline = options.stateDir !== undefined;
  const stack = options.stack ?? (offline ? "dev" : await selectedStackName(env.pulumi));
  const config = stackConfigFromFile(env.projectDir ?? PROJECT_DIR, stack);
  const params = { silentMinutes: config.results.silentMinutes, linePattern: config.results.query.linePattern, limit };
  const engine = offline ? await duckDb(options.stateDir!) : await athena(stack, context);
  try {
    const progress = (p: Parameters<typeof progressLine>[0]) => env.stderr.write(`${progressLine(p)}\n`);
    const result = await engine.query(NAMED_QUERIES[query].sql({ window, ...params }), offline ? undefined : progress);
    const report: ResultsReport = {
      engine: offline ? "duckdb" : "athena",
      query,
      since: "since" in window ? window.since.toISOString() : null,
      params,
      ...result,
    };
    if (context.json) print(JSON.stringify(report));
    else for (const line of formatResults(report)) print(line);
  } finally {
    await engine.close();
  }
}

function duckDb(stateDir: string): Promise<QueryEngine> {
  const root = localLakeRoot(path.resolve(stateDir));
  if (!existsSync(root)) {
    throw new UsageError(`--state-dir ${stateDir} holds no local data lake (${root}): run npm start with it first`);
  }
  return openResultsEngine(root);
}

async function athena(stack: string, context: CommandContext): Promise<QueryEngine> {
  const outputs = await stackOutputs(stack, context.env.pulumi, "query an offline run with --state-dir");
  const [workgroup, database] = [outputs.resultsWorkgroupName, outputs.resultsDatabaseName];
  if (typeof workgroup !== "string" || typeof database !== "string") {
    throw new CliError(`stack ${stack} has no resultsWorkgroupName output: run \`pulumi up\` to deploy it`);
  }
  const region = context.region;
  const client = context.env.createAthenaClient?.(region) ?? new AthenaClient(region ? { region } : {});
  return new AthenaQueryEngine(
    client,
    { workgroup, database },
    { sleep: context.env.sleep, pollMs: context.env.pollMs },
  );
}
