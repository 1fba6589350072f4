import { rmSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { imageIdFromKey } from "../../contracts/labelRecord";
import { ingestLabels } from "../../lambdas/ingestLabels/handler";
import { prepareLabelingJob } from "../../lambdas/prepareLabelingJob/handler";
import { LABEL_ATTRIBUTE, VERIFICATION_ATTRIBUTE } from "../../lib/labeling";
import { FileLabelStore } from "../../offline/fileLabelStore";
import { FileObjectStore } from "../../offline/fileObjectStore";
import { GroundTruth, labelsAgree, LocalLabelingWorkforce } from "../../offline/labelingWorkforce";
import { syntheticImage } from "../../offline/synthetic";
import { groundTruthLambdas } from "../../stateMachines/groundTruth";
import { tempDir } from "../harness/modelFolders";
import { recordingLog } from "../fakes/memoryPorts";

const BOX = { class_id: 0, left: 10, top: 20, width: 30, height: 40 };

describe("offline: the local labeling workforce", () => {
  const dir = tempDir("workforce");
  const objects = new FileObjectStore(path.join(dir, "bucket"), "qi-dev-data-lake-local");
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** The request LabelImages (or VerifyLabels) sends, as the definition builds it. */
  function request(job: string, kind: "BoundingBox" | "VerificationBoundingBox", files: Record<string, string>) {
    const uri = (key: string) => `s3://${objects.bucket}/${key}`;
    return {
      LabelingJobName: job,
      LabelAttributeName: kind === "BoundingBox" ? LABEL_ATTRIBUTE : VERIFICATION_ATTRIBUTE,
      InputConfig: { DataSource: { S3DataSource: { ManifestS3Uri: files.manifest } } },
      OutputConfig: { S3OutputPath: files.output },
      RoleArn: "arn:aws:iam::000000000000:role/qi-dev-labeling",
      LabelCategoryConfigS3Uri: files.categories,
      HumanTaskConfig: {
        WorkteamArn: "arn:aws:sagemaker:eu-west-1:000000000000:workteam/private-crowd/qi-dev-labelers",
        UiConfig: { UiTemplateS3Uri: files.template },
        PreHumanTaskLambdaArn: groundTruthLambdas("eu-west-1", kind).preHumanTask,
        TaskTitle: "Mark defects",
        TaskDescription: "Draw a box around every scratch",
        NumberOfHumanWorkersPerDataObject: 1,
        TaskTimeLimitInSeconds: 600,
        AnnotationConsolidationConfig: {
          AnnotationConsolidationLambdaArn: groundTruthLambdas("eu-west-1", kind).annotationConsolidation,
        },
      },
      uri,
    };
  }

  it("labels from ground truth in Ground Truth's output format, which IngestLabels turns into label records", async () => {
    const truth = await GroundTruth.open(path.join(dir, "truth.json"));
    const known = await syntheticImage(1, 2);
    const unknown = await syntheticImage(1, 3);
    await objects.write("images/line-1/known.jpg", known.jpeg, "image/jpeg");
    await objects.write("images/line-1/unknown.jpg", unknown.jpeg, "image/jpeg");
    // The same bytes under another key are the same image to the labelers.
    await objects.write("images/devices/d1/copy.jpg", known.jpeg, "image/jpeg");
    truth.add(known.jpeg, { width: known.width, height: known.height, annotations: known.annotations });
    const keys = ["images/line-1/known.jpg", "images/line-1/unknown.jpg", "images/devices/d1/copy.jpg"];
    await objects.write("labeling/job-1/selection.json", JSON.stringify(keys), "application/json");
    const log = recordingLog();
    const prepared = await prepareLabelingJob(
      {
        labelingJobName: "job-1",
        selectionKey: "labeling/job-1/selection.json",
        classes: ["scratch"],
        verification: false,
      },
      { objects, log },
    );

    const workforce = new LocalLabelingWorkforce(objects, truth, "eu-west-1", "000000000000");
    const output = await workforce.createLabelingJob(
      request("job-1", "BoundingBox", {
        manifest: prepared.manifestUri,
        output: prepared.outputUri,
        categories: prepared.categoriesUri,
        template: prepared.uiTemplateUri,
      }),
    );
    expect(output.LabelingJobStatus).to.equal("Completed");
    expect(output.LabelCounters).to.include({ TotalLabeled: 2, FailedNonRetryableError: 1 });
    expect(output.LabelingJobOutput.OutputDatasetS3Uri).to.equal(
      `s3://${objects.bucket}/labeling/job-1/output/job-1/manifests/output/output.manifest`,
    );

    const labels = new FileLabelStore(path.join(dir, "labels.jsonl"));
    const ingested = await ingestLabels(
      {
        manifestUri: output.LabelingJobOutput.OutputDatasetS3Uri,
        labelingJobName: "job-1",
        classes: ["scratch"],
        verified: false,
      },
      { objects, labels, log },
    );
    expect(ingested).to.include({ approved: 2, rejected: 1 });
    expect(ingested.rejectedByReason).to.deep.equal({ "labeling-failed": 1 });
    const stored = await labels.get(keys.map((key) => imageIdFromKey(key)));
    for (const key of [keys[0], keys[2]]) {
      const record = stored.found.get(imageIdFromKey(key))!;
      expect(JSON.parse(record.annotations)).to.deep.equal(known.annotations);
      expect(record).to.include({ image_width: 450, image_height: 300, labeling_job: "labeling-job/job-1" });
    }
  });

  it("judges labels in a verification job: correct when the boxes match the truth one to one", async () => {
    const truth = await GroundTruth.open(path.join(dir, "verify-truth.json"));
    const image = await syntheticImage(2, 0);
    truth.add(image.jpeg, { width: 450, height: 300, annotations: [BOX] });
    await objects.write("images/v/a.jpg", image.jpeg, "image/jpeg");
    await objects.write("images/v/b.jpg", image.jpeg, "image/jpeg");
    const line = (key: string, boxes: unknown[]) =>
      JSON.stringify({
        "source-ref": `s3://${objects.bucket}/${key}`,
        [LABEL_ATTRIBUTE]: { image_size: [{ width: 450, height: 300, depth: 3 }], annotations: boxes },
      });
    await objects.write(
      "labeling/v/in.manifest",
      `${line("images/v/a.jpg", [BOX])}\n${line("images/v/b.jpg", [])}\n`,
      "x",
    );
    await objects.write(
      "labeling/v/categories.json",
      JSON.stringify({ labels: [{ label: "correct" }, { label: "incorrect" }] }),
      "x",
    );
    await objects.write("labeling/v/ui.html", "<html/>", "text/html");
    const workforce = new LocalLabelingWorkforce(objects, truth, "eu-west-1", "000000000000");
    const base = `s3://${objects.bucket}/labeling/v/`;
    const output = await workforce.createLabelingJob(
      request("verify-1", "VerificationBoundingBox", {
        manifest: `${base}in.manifest`,
        output: `${base}out/`,
        categories: `${base}categories.json`,
        template: `${base}ui.html`,
      }),
    );
    expect(workforce.jobs.at(-1)).to.include({ kind: "verification", labeled: 2, incorrect: 1 });
    const ingested = await ingestLabels(
      {
        manifestUri: output.LabelingJobOutput.OutputDatasetS3Uri,
        labelingJobName: "job-v",
        classes: ["scratch"],
        verified: true,
      },
      { objects, labels: new FileLabelStore(path.join(dir, "verified.jsonl")), log: recordingLog() },
    );
    expect(ingested).to.include({ approved: 1, rejectedByVerification: 1 });
  });

  it("fails the job like SageMaker when a file the job names is missing", async () => {
    const workforce = new LocalLabelingWorkforce(
      objects,
      await GroundTruth.open(path.join(dir, "t.json")),
      "eu-west-1",
      "0",
    );
    const base = `s3://${objects.bucket}/labeling/missing/`;
    await workforce
      .createLabelingJob(
        request("missing", "BoundingBox", {
          manifest: `${base}in.manifest`,
          output: `${base}out/`,
          categories: `${base}categories.json`,
          template: `${base}ui.html`,
        }),
      )
      .then(
        () => expect.fail("ran without a category file"),
        (error: Error) => {
          expect(error.name).to.equal("SageMaker.ValidationException");
          expect(error.message).to.contain("label category file");
        },
      );
  });

  it("agrees with a label only when every box matches a true one (IoU ≥ 0.5) and none is missing", () => {
    const shifted = { ...BOX, left: BOX.left + 5 };
    const far = { ...BOX, left: 300 };
    expect(labelsAgree([BOX], [BOX])).to.equal(true);
    expect(labelsAgree([shifted], [BOX])).to.equal(true);
    expect(labelsAgree([far], [BOX])).to.equal(false);
    expect(labelsAgree([], [BOX])).to.equal(false);
    expect(labelsAgree([BOX, BOX], [BOX])).to.equal(false);
    expect(labelsAgree([], [])).to.equal(true);
  });
});
