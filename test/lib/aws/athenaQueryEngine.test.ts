import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
} from "@aws-sdk/client-athena";
import { mockClient } from "aws-sdk-client-mock";
import { expect } from "chai";
import { AthenaQueryEngine } from "../../../lib/aws/athenaQueryEngine";
import { QueryFailedError, QueryProgress } from "../../../lib/query/engine";

const athena = mockClient(AthenaClient);
const target = { workgroup: "qi-dev-results", database: "qi_dev_results" };
const column = (Name: string, Type: string) => ({ Name, Type });
const row = (...values: (string | undefined)[]) => ({ Data: values.map((VarCharValue) => ({ VarCharValue })) });

describe("the Athena query engine", () => {
  beforeEach(() => athena.reset());

  it("starts the query in the workgroup, reports progress until it ends, and reads every page typed", async () => {
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: "q-1" });
    athena
      .on(GetQueryExecutionCommand)
      .resolvesOnce({ QueryExecution: { Status: { State: "QUEUED" } } })
      .resolvesOnce({ QueryExecution: { Status: { State: "RUNNING" }, Statistics: { DataScannedInBytes: 1000 } } })
      .resolves({ QueryExecution: { Status: { State: "SUCCEEDED" }, Statistics: { DataScannedInBytes: 2048 } } });
    const metadata = {
      ColumnInfo: [column("device", "varchar"), column("defect_rate", "double"), column("ok", "boolean")],
    };
    athena
      .on(GetQueryResultsCommand, { QueryExecutionId: "q-1", NextToken: undefined })
      .resolves({
        ResultSet: {
          ResultSetMetadata: metadata,
          Rows: [row("device", "defect_rate", "ok"), row("line-1", "0.25", "true")],
        },
        NextToken: "t2",
      })
      .on(GetQueryResultsCommand, { QueryExecutionId: "q-1", NextToken: "t2" })
      .resolves({ ResultSet: { ResultSetMetadata: metadata, Rows: [row("line-2", undefined, "false")] } });
    const progress: QueryProgress[] = [];
    let clock = 0;
    const engine = new AthenaQueryEngine(athena as unknown as AthenaClient, target, {
      sleep: () => Promise.resolve(),
      now: () => (clock += 500),
    });
    const result = await engine.query("SELECT 1", (p) => progress.push(p));
    expect(athena.commandCalls(StartQueryExecutionCommand)[0].args[0].input).to.deep.equal({
      QueryString: "SELECT 1",
      WorkGroup: "qi-dev-results",
      QueryExecutionContext: { Database: "qi_dev_results" },
    });
    expect(progress.map((p) => [p.state, p.bytesScanned])).to.deep.equal([
      ["QUEUED", undefined],
      ["RUNNING", 1000],
      ["SUCCEEDED", 2048],
    ]);
    expect(progress[2].elapsedMs).to.be.greaterThan(progress[0].elapsedMs);
    expect(result).to.deep.equal({
      columns: ["device", "defect_rate", "ok"],
      rows: [
        { device: "line-1", defect_rate: 0.25, ok: true },
        { device: "line-2", defect_rate: null, ok: false },
      ],
      bytesScanned: 2048,
    });
  });

  it("fails with Athena's reason when the query fails (e.g. over the workgroup's scan limit)", async () => {
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: "q-2" });
    athena.on(GetQueryExecutionCommand).resolves({
      QueryExecution: {
        Status: { State: "FAILED", StateChangeReason: "Query exhausted resources at this scale factor" },
      },
    });
    const engine = new AthenaQueryEngine(athena as unknown as AthenaClient, target, { sleep: () => Promise.resolve() });
    const error = await engine.query("SELECT 2").then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(QueryFailedError);
    expect((error as QueryFailedError).message).to.equal(
      "Athena query q-2 failed: Query exhausted resources at this scale factor",
    );
    expect((error as QueryFailedError).sql).to.equal("SELECT 2");
  });
});
