import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
} from "@aws-sdk/client-athena";
import { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import { expect } from "chai";
import { Readable } from "node:stream";
import { AthenaQueryEngine } from "../../../lib/aws/athenaQueryEngine";
import { CsvRecord } from "../../../lib/query/csvRows";
import { QueryFailedError, QueryProgress, QueryRow } from "../../../lib/query/engine";
import { athenaCsv } from "../../fakes/athenaCsv";
import { mockedClient } from "../../fakes/sdkMock";
import { failureOf } from "../../harness/failure";

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

describe("the Athena query engine's rows(), read from the result file in S3", () => {
  const s3 = mockedClient(() => mockClient(S3Client));
  const location = "s3://qi-dev-lake/tmp/query-results/q-9.csv";
  const columns = [
    column("image_id", "varchar"),
    column("annotations", "varchar"),
    column("width", "integer"),
    column("score", "double"),
    column("approved", "boolean"),
  ];
  const header = columns.map((c) => c.Name);
  const annotations = JSON.stringify([{ label: "scratch", box: [1, 2, 3, 4], note: 'a "deep", long\nscratch' }]);
  const records: CsvRecord[] = [
    ["img-1", annotations, "640", "0.75", "true"],
    ["img-ü ✓", "", null, "-1.5e-3", "false"],
    ["img-3", null, "0", null, null],
  ];
  const expected: QueryRow[] = [
    { image_id: "img-1", annotations, width: 640, score: 0.75, approved: true },
    { image_id: "img-ü ✓", annotations: "", width: null, score: -0.0015, approved: false },
    { image_id: "img-3", annotations: null, width: 0, score: null, approved: null },
  ];

  beforeEach(() => athena.reset());

  /** Athena answers q-9 with the given result location and column metadata. */
  function athenaSucceeds(outputLocation: string | null = location, info = columns) {
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: "q-9" });
    athena.on(GetQueryExecutionCommand).resolves({
      QueryExecution: {
        Status: { State: "SUCCEEDED" },
        ResultConfiguration: outputLocation === null ? {} : { OutputLocation: outputLocation },
      },
    });
    athena.on(GetQueryResultsCommand).resolves({
      ResultSet: { ResultSetMetadata: { ColumnInfo: info }, Rows: [row(...info.map((c) => c.Name))] },
      NextToken: "page-2",
    });
    // A second page that paging would read and rows() must not.
    athena
      .on(GetQueryResultsCommand, { NextToken: "page-2" })
      .resolves({ ResultSet: { ResultSetMetadata: { ColumnInfo: info }, Rows: [] } });
  }

  /** The result file's body: a real stream of the bytes, cut into `pieces` uneven chunks (splits land anywhere). */
  function resultFile(text: string, pieces = 7) {
    const bytes = Buffer.from(text);
    const cuts = Array.from({ length: pieces - 1 }, (_, i) => Math.floor((bytes.length * (i + 1) ** 2) / pieces ** 2));
    const chunks = [0, ...cuts, bytes.length].slice(1).map((end, i, ends) => bytes.subarray(i ? ends[i - 1] : 0, end));
    return Readable.from(chunks);
  }

  const engine = () =>
    new AthenaQueryEngine(athena as unknown as AthenaClient, target, {
      sleep: () => Promise.resolve(),
      s3: new S3Client({}),
    });

  async function rowsOf(sql: string, engineToUse = engine()): Promise<QueryRow[]> {
    const rows: QueryRow[] = [];
    for await (const r of engineToUse.rows(sql)) rows.push(r);
    return rows;
  }

  it("reads the object OutputLocation names, typed by ONE GetQueryResults call, without paging", async () => {
    athenaSucceeds();
    s3()
      .on(GetObjectCommand)
      .resolves({ Body: resultFile(athenaCsv([header, ...records])) as never });
    expect(await rowsOf("SELECT split")).to.deep.equal(expected);
    expect(
      s3()
        .commandCalls(GetObjectCommand)
        .map((c) => c.args[0].input),
    ).to.deep.equal([{ Bucket: "qi-dev-lake", Key: "tmp/query-results/q-9.csv" }]);
    expect(athena.commandCalls(GetQueryResultsCommand).map((c) => c.args[0].input)).to.deep.equal([
      { QueryExecutionId: "q-9", MaxResults: 1 },
    ]);
  });

  it("streams thousands of rows from one object (more than GetQueryResults' 1,000 a page)", async () => {
    athenaSucceeds();
    const many: CsvRecord[] = Array.from({ length: 5000 }, (_, i) => [`img-${i}`, annotations, `${i}`, null, "true"]);
    s3()
      .on(GetObjectCommand)
      .resolves({ Body: resultFile(athenaCsv([header, ...many]), 40) as never });
    const rows = await rowsOf("SELECT split");
    expect(rows.length).to.equal(5000);
    expect(rows.map((r) => r.width)).to.deep.equal(many.map((_, i) => i));
    expect(athena.commandCalls(GetQueryResultsCommand).length).to.equal(1);
  });

  it("hands rows over as they arrive, and stops reading the object when the caller stops", async () => {
    athenaSucceeds();
    // A file that never ends: only a reader that streams gets a first row (one that buffers would hang).
    let sent = 0;
    const body = Readable.from(
      (function* () {
        yield Buffer.from(athenaCsv([header]));
        for (;;) yield Buffer.from(athenaCsv([records[sent++ % records.length]]));
      })(),
    );
    s3()
      .on(GetObjectCommand)
      .resolves({ Body: body as never });
    for await (const first of engine().rows("SELECT split")) {
      expect(first).to.deep.equal(expected[0]);
      break;
    }
    expect(body.destroyed).to.equal(true);
    expect(sent).to.be.lessThan(1000);
  });

  it("pages GetQueryResults when it has no S3 client (the CLI's engines)", async () => {
    athenaSucceeds();
    athena.on(GetQueryResultsCommand).resolves({
      ResultSet: {
        ResultSetMetadata: { ColumnInfo: columns },
        Rows: [row(...header), row(...records[2].map((v) => v ?? undefined))],
      },
    });
    const paging = new AthenaQueryEngine(athena as unknown as AthenaClient, target, { sleep: () => Promise.resolve() });
    expect(await rowsOf("SELECT split", paging)).to.deep.equal([expected[2]]);
    expect(s3().commandCalls(GetObjectCommand).length).to.equal(0);
  });

  const failures: {
    what: string;
    outputLocation?: string;
    file?: string;
    info?: typeof columns;
    s3Error?: string;
    message: string;
  }[] = [
    {
      what: "a file that ends inside a quoted value (truncated)",
      file: athenaCsv([header, ...records]).split("scratch")[0],
      message: `the result file ${location} is malformed: the file ends inside a quoted value in record 2 (truncated?)`,
    },
    {
      what: "a ragged row",
      file: athenaCsv([header, records[0]]) + '"img-2","","1"\n',
      message: `the result file ${location} is malformed: record 3 has 3 cells where the header has 5`,
    },
    {
      what: "a stray quote",
      file: athenaCsv([header]) + '"img-2"x,"","1","2","true"\n',
      message: `the result file ${location} is malformed: a stray quote in record 2 (cell 1)`,
    },
    {
      what: "an empty file",
      file: "",
      message: `the result file ${location} is empty: it has no header row`,
    },
    {
      what: "a header that is not the result's columns",
      file: athenaCsv([["image_id", "split"]]),
      info: columns.slice(0, 1).concat(column("label", "varchar")),
      message: `the result file ${location} has the header (image_id, split), not (image_id, label)`,
    },
    {
      what: "no OutputLocation",
      outputLocation: "",
      message: "Athena gave no result location (OutputLocation)",
    },
    {
      what: "an OutputLocation that is not s3://",
      outputLocation: "https://qi-dev-lake.s3.amazonaws.com/q-9.csv",
      message: "the result location https://qi-dev-lake.s3.amazonaws.com/q-9.csv is not an s3://bucket/key URI",
    },
    {
      what: "a result file S3 refuses to read",
      s3Error: "AccessDenied",
      message: `cannot read the result file ${location}: AccessDenied: denied`,
    },
  ];
  for (const failure of failures) {
    it(`fails with QueryFailedError naming the query and the file on ${failure.what}`, async () => {
      athenaSucceeds(failure.outputLocation === "" ? null : (failure.outputLocation ?? location), failure.info);
      if (failure.s3Error) {
        s3()
          .on(GetObjectCommand)
          .rejects(Object.assign(new Error("denied"), { name: failure.s3Error }));
      } else {
        s3()
          .on(GetObjectCommand)
          .resolves({ Body: resultFile(failure.file ?? "") as never });
      }
      const error = await failureOf(rowsOf("SELECT split"));
      expect(error).to.be.instanceOf(QueryFailedError);
      expect(error.message).to.equal(`Athena query q-9: ${failure.message}`);
      expect((error as QueryFailedError).sql).to.equal("SELECT split");
    });
  }
});
