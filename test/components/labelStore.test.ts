import { expect } from "chai";
import { labelStoreCatalogNames } from "../../contracts/labelStoreTable";
import { LABEL_FEATURES } from "../../contracts/labelRecord";
import { ProgramRun, readStack, RecordedResource, runStack } from "../harness/pulumiProgram";

const BUCKET = "data-lake-bucket-0a1b2c3d";
const variablesOf = (fn: RecordedResource) =>
  (fn.inputs.environment as { variables: Record<string, string> }).variables;
const actionsOf = (policy: RecordedResource) =>
  (JSON.parse(policy.inputs.policy as string) as { Statement: { Action: string[] }[] }).Statement.flatMap(
    (s) => s.Action,
  );

describe("the label store's history as a table (dataset.athenaAboveImages)", () => {
  let run: ProgramRun<unknown>;
  let off: ProgramRun<unknown>;
  before(async function () {
    this.timeout(120_000);
    run = await runStack("dev");
    off = await runStack("dev", { ...readStack("dev"), "qualityinspection:dataset.athenaAboveImages": "off" });
  });

  it("declares a Glue table over the offline store's Parquet files with a column per label feature", () => {
    const table = run.one("aws:glue/catalogTable:CatalogTable", "labels-offline-table").inputs;
    const names = labelStoreCatalogNames("qi-dev");
    expect(table.name).to.equal("offline_store");
    expect(table.databaseName).to.equal("qi_dev_labels");
    expect(names).to.deep.include({ database: "qi_dev_labels", table: "offline_store" });
    const storage = table.storageDescriptor as {
      location: string;
      columns: { name: string; type: string }[];
      serDeInfo: { serializationLibrary: string };
    };
    // Feature Store writes under the configured URI; Athena reads the dated folders beneath it.
    expect(storage.location).to.equal(`s3://${BUCKET}/feature-store/`);
    expect(storage.serDeInfo.serializationLibrary).to.contain("ParquetHiveSerDe");
    const columns = Object.fromEntries(storage.columns.map((c) => [c.name, c.type]));
    expect(Object.keys(columns).sort()).to.deep.equal(Object.keys(LABEL_FEATURES).sort());
    expect(columns).to.deep.include({ image_id: "string", event_time: "double", image_width: "bigint" });
    const group = run.one("aws:sagemaker/featureGroup:FeatureGroup").inputs;
    expect(group.offlineStoreConfig).to.deep.include({ disableGlueTableCreation: true });
  });

  it("queries it in a workgroup of its own, with no scan limit, writing results under tmp/", () => {
    const workgroup = run.one("aws:athena/workgroup:Workgroup", "labels-workgroup").inputs;
    expect(workgroup.name).to.equal("qi-dev-labels");
    const configuration = workgroup.configuration as Record<string, unknown>;
    expect(configuration).to.not.have.property("bytesScannedCutoffPerQuery");
    expect(configuration.resultConfiguration).to.deep.include({ outputLocation: `s3://${BUCKET}/tmp/query-results/` });
  });

  it("tells BuildDataset where to query, and lets it, only while the threshold is on", () => {
    const env = variablesOf(run.one("aws:lambda/function:Function", "pipeline-build-dataset"));
    expect(env).to.deep.include({
      LABELS_WORKGROUP: "qi-dev-labels",
      LABELS_DATABASE: "qi_dev_labels",
      LABELS_TABLE: "offline_store",
    });
    expect(actionsOf(run.one("aws:iam/rolePolicy:RolePolicy", "pipeline-build-dataset-access"))).to.include(
      "athena:StartQueryExecution",
    );
    const envOff = variablesOf(off.one("aws:lambda/function:Function", "pipeline-build-dataset"));
    expect(Object.keys(envOff).filter((name) => name.startsWith("LABELS_"))).to.deep.equal([]);
    const actionsOff = actionsOf(off.one("aws:iam/rolePolicy:RolePolicy", "pipeline-build-dataset-access"));
    expect(actionsOff.filter((action) => /^(athena|glue):/.test(action))).to.deep.equal([]);
  });
});
