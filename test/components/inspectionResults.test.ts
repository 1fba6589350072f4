import { expect } from "chai";
import inferenceErrorSchema from "../../contracts/inferenceError.schema.json";
import inferenceResultSchema from "../../contracts/inferenceResult.schema.json";
import { createInfrastructure } from "../../infrastructure";
import { NAMED_QUERIES, NAMED_QUERY_NAMES } from "../../lib/results/queries";
import { ProgramRun, readStack, RecordedResource, runStack } from "../harness/pulumiProgram";

const OVERRIDES = {
  "qualityinspection:edge.coreDevices": '["line-1-a","line-2-a"]',
  "qualityinspection:results.bufferSeconds": "120",
  "qualityinspection:results.defectRateThreshold": "0.08",
  "qualityinspection:results.defectRateWindowMinutes": "30",
  "qualityinspection:results.minInspectionsPerWindow": "25",
  "qualityinspection:results.errorRateThreshold": "0.03",
  "qualityinspection:results.silentMinutes": "45",
  "qualityinspection:results.queryScanLimitMb": "200",
  "qualityinspection:results.queryDays": "14",
};
const BUCKET = "data-lake-bucket-0a1b2c3d";
const mockArn = (type: string, name: string) => `arn:aws:mock:eu-west-1:123456789012:${type}/${name}`;
const statementsOf = (resource: RecordedResource) =>
  (
    JSON.parse(resource.inputs.policy as string) as {
      Statement: { Sid: string; Action: string[]; Resource: string[] }[];
    }
  ).Statement;

type Schema = { properties: Record<string, { type?: string; items?: unknown; properties?: Record<string, unknown> }> };

describe("the inspection results of the dev stack", () => {
  let run: ProgramRun<ReturnType<typeof createInfrastructure>>;
  const raw = { ...readStack("dev"), ...OVERRIDES };
  const devices = ["line-1-a", "line-2-a", "qi-dev-simulated-device"];
  before(async () => {
    run = await runStack("dev", raw);
  });

  it("has a rule per topic that stores the message with its detections lifted out, and counts it", () => {
    // The results component's own rules (the fleet has one more, for the deployment check: edgeFleet.test.ts).
    const rules = run
      .ofType("aws:iot/topicRule:TopicRule")
      .filter((r) => r.name.startsWith("results-"))
      .map((r) => r.inputs);
    expect(rules.map((r) => [r.name, r.sql])).to.deep.equal([
      [
        "qi_dev_results_inspections",
        "SELECT *, get(get(inference_results, 0), 0) AS classes, get(get(inference_results, 0), 1) AS scores, " +
          "get(get(inference_results, 0), 2) AS boxes FROM 'qualityinspection/scratch-detection'",
      ],
      ["qi_dev_results_errors", "SELECT * FROM 'qualityinspection/scratch-detection/errors'"],
    ]);
    for (const [i, kind] of ["inspections", "errors"].entries()) {
      expect(rules[i].firehoses).to.deep.equal([
        {
          deliveryStreamName: `qi-dev-results-${kind}`,
          roleArn: "arn:aws:iam::123456789012:role/results-rule-role",
          batchMode: false,
        },
      ]);
      expect(rules[i].lambdas).to.deep.equal([{ functionArn: mockArn("Function", "results-monitoring-function") }]);
      expect(rules[i].sqlVersion).to.equal("2016-03-23");
    }
  });

  it("delivers to the data lake under results/<kind>/day=…/device=…/, partitioned from the message itself", () => {
    const streams = run.ofType("aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream").map((s) => s.inputs);
    expect(streams).to.have.length(2);
    for (const stream of streams) {
      const kind = (stream.name as string).replace("qi-dev-results-", "");
      const s3 = stream.extendedS3Configuration as Record<string, unknown>;
      expect(stream.destination).to.equal("extended_s3");
      expect(s3).to.deep.include({
        bucketArn: `arn:aws:s3:::${BUCKET}`,
        prefix: `results/${kind}/day=!{partitionKeyFromQuery:day}/device=!{partitionKeyFromQuery:device}/`,
        compressionFormat: "GZIP",
        fileExtension: ".json.gz",
        bufferingInterval: 120,
        bufferingSize: 64,
        dynamicPartitioningConfiguration: { enabled: true },
      });
      expect(s3.errorOutputPrefix).to.match(new RegExp(`^results-undelivered/${kind}/`));
      const processors = (s3.processingConfiguration as { processors: { type: string; parameters: unknown[] }[] })
        .processors;
      expect(processors[0].parameters).to.deep.include({
        parameterName: "MetadataExtractionQuery",
        parameterValue: "{day: .timestamp[0:10], device: .thingName}",
      });
      expect(processors[1].type).to.equal("AppendDelimiterToRecord");
      expect(stream.serverSideEncryption).to.deep.include({ enabled: true });
    }
  });

  it("has Glue tables whose columns are the payload schemas' properties, detections lifted, partitioned by day and device", () => {
    const tables = Object.fromEntries(
      run
        .ofType("aws:glue/catalogTable:CatalogTable")
        // The label store's table is another component's (labelStore.test.ts).
        .filter((t) => t.inputs.databaseName === "qi_dev_results")
        .map((t) => [t.inputs.name as string, t.inputs]),
    );
    const columnsOf = (name: string) =>
      (tables[name].storageDescriptor as { columns: { name: string; type: string }[] }).columns.map((c) => [
        c.name,
        c.type,
      ]);
    const expectedNames = (schema: Schema) =>
      Object.keys(schema.properties).flatMap((p) =>
        p === "inference_results" ? ["classes", "scores", "boxes"] : [p.toLowerCase()],
      );
    expect(columnsOf("results").map(([name]) => name)).to.deep.equal(expectedNames(inferenceResultSchema as Schema));
    expect(columnsOf("errors").map(([name]) => name)).to.deep.equal(expectedNames(inferenceErrorSchema as Schema));
    const types = Object.fromEntries(columnsOf("results"));
    expect(types).to.deep.include({
      messageid: "string",
      imagewidth: "bigint",
      inferencems: "double",
      sentforlabeling: "boolean",
      classnames: "array<string>",
      classes: "array<bigint>",
      scores: "array<double>",
      boxes: "array<array<double>>",
      timingsms: "struct<decode:double,preprocess:double,run:double,postprocess:double>",
      schemaversion: "int",
    });
    for (const table of Object.values(tables)) {
      expect(table.partitionKeys).to.deep.equal([
        { name: "day", type: "string" },
        { name: "device", type: "string" },
      ]);
      const parameters = table.parameters as Record<string, string>;
      expect(parameters["projection.device.values"]).to.equal(devices.join(","));
      expect(parameters["storage.location.template"]).to.match(
        new RegExp(`^s3://${BUCKET}/results/(inspections|errors)/day=\\$\\{day\\}/device=\\$\\{device\\}/$`),
      );
      expect(
        (table.storageDescriptor as { serDeInfo: { serializationLibrary: string } }).serDeInfo.serializationLibrary,
      ).to.equal("org.openx.data.jsonserde.JsonSerDe");
    }
  });

  it("queries in an Athena workgroup that writes encrypted results into the lake and stops at the scan limit", () => {
    const workgroup = run.one("aws:athena/workgroup:Workgroup", "results-workgroup").inputs;
    expect(workgroup.name).to.equal("qi-dev-results");
    expect(workgroup.configuration).to.deep.include({
      enforceWorkgroupConfiguration: true,
      bytesScannedCutoffPerQuery: 200 * 1024 * 1024,
      resultConfiguration: {
        outputLocation: `s3://${BUCKET}/tmp/query-results/`,
        encryptionConfiguration: { encryptionOption: "SSE_S3" },
      },
    });
  });

  it("ships every named query, with the SQL text the offline engine runs, and the configured window", () => {
    const queries = run.ofType("aws:athena/namedQuery:NamedQuery").map((q) => q.inputs);
    expect(queries.map((q) => q.name)).to.deep.equal(NAMED_QUERY_NAMES.map((n) => NAMED_QUERIES[n].slug));
    for (const [i, name] of NAMED_QUERY_NAMES.entries()) {
      expect(queries[i]).to.deep.include({ database: "qi_dev_results", workgroup: "qi-dev-results" });
      expect(queries[i].query).to.equal(
        NAMED_QUERIES[name].sql({
          window: { lastDays: 14 },
          silentMinutes: 45,
          linePattern: "(line-[0-9]+)",
          limit: 50,
        }),
      );
    }
    expect(queries.find((q) => q.name === "silent-devices")!.query).to.include("INTERVAL '45' MINUTE");
  });

  it("has three alarms a device, with the configured thresholds and windows, notifying the alerts topic", () => {
    const alarms = run.ofType("aws:cloudwatch/metricAlarm:MetricAlarm").map((a) => a.inputs);
    expect(alarms.map((a) => a.name).sort()).to.deep.equal(
      devices.flatMap((d) => ["defect-rate", "error-rate", "silent"].map((kind) => `qi-dev-${d}-${kind}`)),
    );
    const alerts = mockArn("Topic", "pipeline-alerts");
    for (const alarm of alarms) {
      expect(alarm.alarmActions).to.deep.equal([alerts]);
      expect(alarm.okActions).to.deep.equal([alerts]);
    }
    const named = (name: string) => alarms.find((a) => a.name === name)!;
    type Query = { expression?: string; metric?: { period: number; metricName: string; dimensions: unknown } };
    const defect = named("qi-dev-line-2-a-defect-rate");
    expect(defect).to.deep.include({
      threshold: 0.08,
      comparisonOperator: "GreaterThanThreshold",
      treatMissingData: "notBreaching",
    });
    const defectQueries = defect.metricQueries as Query[];
    expect(defectQueries.map((q) => q.metric?.period)).to.deep.equal([1800, 1800, undefined]);
    expect(defectQueries[0].metric!.dimensions).to.deep.equal({ Device: "line-2-a" });
    expect(defectQueries[2].expression).to.equal("IF(inspections >= 25, failedParts / inspections, 0)");
    expect(named("qi-dev-line-2-a-error-rate")).to.deep.include({ threshold: 0.03 });
    const silent = named("qi-dev-line-1-a-silent");
    expect(silent).to.deep.include({
      treatMissingData: "breaching",
      comparisonOperator: "LessThanThreshold",
      threshold: 1,
    });
    expect((silent.metricQueries as Query[])[0].metric).to.deep.include({ period: 2700, metricName: "Inspections" });
  });

  it("lets Firehose write results/ only and the rules reach their two streams only", () => {
    const delivery = statementsOf(run.one("aws:iam/rolePolicy:RolePolicy", "results-delivery-access"));
    expect(delivery.find((s) => s.Sid === "WriteResults")!.Resource).to.deep.equal([
      `arn:aws:s3:::${BUCKET}/results/*`,
      `arn:aws:s3:::${BUCKET}/results-undelivered/*`,
    ]);
    expect(delivery.flatMap((s) => s.Action)).to.not.include("s3:GetObject");
    const rule = statementsOf(run.one("aws:iam/rolePolicy:RolePolicy", "results-rule-access"));
    expect(rule.find((s) => s.Sid === "PutResultRecords")!.Resource).to.deep.equal([
      "arn:aws:firehose:eu-west-1:123456789012:deliverystream/qi-dev-results-inspections",
      "arn:aws:firehose:eu-west-1:123456789012:deliverystream/qi-dev-results-errors",
    ]);
    for (const kind of ["inspections", "errors"]) {
      const invoke = run.one("aws:lambda/permission:Permission", `results-${kind}-rule-invokes-metrics`).inputs;
      expect(invoke).to.deep.include({
        principal: "iot.amazonaws.com",
        sourceArn: mockArn("TopicRule", `results-${kind}-rule`),
        function: "qi-dev-result-metrics",
      });
    }
    const metricsAccess = statementsOf(run.one("aws:iam/rolePolicy:RolePolicy", "results-monitoring-function-access"));
    expect(metricsAccess.flatMap((s) => s.Action).filter((a) => !/^(logs|xray):/.test(a))).to.deep.equal([]);
  });

  it("draws every device's series on the dashboard", () => {
    const body = JSON.parse(run.one("aws:cloudwatch/dashboard:Dashboard").inputs.dashboardBody as string) as {
      widgets: { properties: { metrics?: unknown[][]; alarms?: string[] } }[];
    };
    const plotted = body.widgets[0].properties.metrics!.map((m) => m[3]);
    expect(plotted).to.deep.equal(devices);
    expect(body.widgets.at(-1)!.properties.alarms).to.have.length(devices.length * 3);
  });
});
