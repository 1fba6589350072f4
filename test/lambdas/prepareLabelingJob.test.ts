import { expect } from "chai";
import { prepareLabelingJob } from "../../lambdas/prepareLabelingJob/handler";
import { MemoryObjectStore, recordingLog } from "../fakes/memoryPorts";
import { failureOf } from "../harness/failure";

const job = "qi-dev-label-run-1-3fa2b1c9";
const selectionKey = `labeling/${job}/selection.json`;

function lakeWith(selection: unknown) {
  return new MemoryObjectStore().put(selectionKey, JSON.stringify(selection));
}

describe("PrepareLabelingJob", () => {
  it("writes the input manifest, the categories in class-id order and the worker UI", async () => {
    const objects = lakeWith(["images/b.png", "images/line 2/ä.jpg"]);
    const result = await prepareLabelingJob(
      { labelingJobName: job, selectionKey, classes: ["scratch", "dent"], verification: false },
      { objects, log: recordingLog() },
    );
    expect(result).to.deep.equal({
      images: 2,
      manifestUri: `s3://qi-test-lake/labeling/${job}/input.manifest`,
      categoriesUri: `s3://qi-test-lake/labeling/${job}/categories.json`,
      uiTemplateUri: `s3://qi-test-lake/labeling/${job}/bounding-box.liquid.html`,
      outputUri: `s3://qi-test-lake/labeling/${job}/output/`,
      verification: null,
    });
    const lines = objects
      .text(`labeling/${job}/input.manifest`)
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines).to.deep.equal([
      { "source-ref": "s3://qi-test-lake/images/b.png" },
      { "source-ref": "s3://qi-test-lake/images/line 2/ä.jpg" },
    ]);
    expect(objects.json(`labeling/${job}/categories.json`)).to.deep.equal({
      "document-version": "2018-11-28",
      labels: [{ label: "scratch" }, { label: "dent" }],
    });
    const template = objects.text(`labeling/${job}/bounding-box.liquid.html`);
    expect(template).to.contain("<crowd-bounding-box").and.contain("task.input.taskObject | grant_read_access");
    expect(template).to.contain("scratch, dent");
  });

  it("adds the verification job's categories and UI when verification is on", async () => {
    const objects = lakeWith(["images/b.png"]);
    const result = await prepareLabelingJob(
      { labelingJobName: job, selectionKey, classes: ["scratch"], verification: true },
      { objects, log: recordingLog() },
    );
    expect(result.verification).to.deep.equal({
      categoriesUri: `s3://qi-test-lake/labeling/${job}/verification-categories.json`,
      uiTemplateUri: `s3://qi-test-lake/labeling/${job}/verification.liquid.html`,
      outputUri: `s3://qi-test-lake/labeling/${job}/verification-output/`,
    });
    expect(objects.json(`labeling/${job}/verification-categories.json`)).to.deep.include({
      auditLabelAttributeName: "boxes",
      labels: [{ label: "correct" }, { label: "incorrect" }],
    });
    expect(objects.text(`labeling/${job}/verification.liquid.html`)).to.contain("manifestLine['boxes']");
  });

  for (const [what, selection] of [
    ["is not JSON", "not json"],
    ["is empty", []],
    ["names a file outside images/", ["datasets/x.jpg"]],
  ] as const) {
    it(`refuses a selection that ${what}`, async () => {
      const objects = new MemoryObjectStore().put(
        selectionKey,
        typeof selection === "string" ? selection : JSON.stringify(selection),
      );
      const error = await failureOf(
        prepareLabelingJob(
          { labelingJobName: job, selectionKey, classes: ["scratch"], verification: false },
          { objects, log: recordingLog() },
        ),
      );
      expect(error.name).to.equal("InvalidEventError");
      expect(error.message).to.contain(selectionKey);
    });
  }
});
