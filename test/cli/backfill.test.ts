import { S3Client } from "@aws-sdk/client-s3";
import { SageMakerClient } from "@aws-sdk/client-sagemaker";
import { SFNClient } from "@aws-sdk/client-sfn";
import { GreengrassV2Client } from "@aws-sdk/client-greengrassv2";
import { expect } from "chai";
import { z } from "zod";
import { runCli } from "../../cli/main";
import type { CliEnvironment } from "../../cli/environment";
import { findUnlabeledImages } from "../../lambdas/findUnlabeledImages/handler";
import { MemoryLabelStore, MemoryObjectStore, recordingLog } from "../fakes/memoryPorts";
import { labelFor } from "../harness/labels";

/** A lake migrated from elsewhere: images stored before the pending index, some labeled, one already pending. */
function migratedLake() {
  const objects = new MemoryObjectStore("qi-dev-lake");
  for (let i = 0; i < 2500; i++) objects.put(`images/old/${String(i).padStart(4, "0")}.jpg`, "x");
  objects.put("images/old/notes.txt", "x").put("pending/images/old/2499.jpg", "");
  const labels = new MemoryLabelStore();
  for (let i = 0; i < 2000; i++)
    labels.records.set(
      labelFor(`images/old/${String(i).padStart(4, "0")}.jpg`).image_id,
      labelFor(`images/old/${String(i).padStart(4, "0")}.jpg`),
    );
  return { objects, labels };
}

function environment(ports: ReturnType<typeof migratedLake>, out: { stdout: string; stderr: string }): CliEnvironment {
  return {
    stdout: { write: (text: string) => (out.stdout += text) },
    stderr: { write: (text: string) => (out.stderr += text) },
    createClient: () => new SFNClient({}),
    createGreengrassClient: () => new GreengrassV2Client({ region: "eu-west-1" }),
    createSageMakerClient: () => new SageMakerClient({ region: "eu-west-1" }),
    createS3Client: () => new S3Client({ region: "eu-west-1" }),
    createBackfillPorts: (bucket) => {
      expect(bucket).to.equal("qi-dev-lake");
      return ports;
    },
    pulumi: async () => ({ stdout: JSON.stringify({ bucketName: "qi-dev-lake", featureGroupName: "qi-dev-labels" }) }),
    stages: [],
    inputSchema: z.object({}),
    now: () => new Date(),
    sleep: async () => undefined,
    pollMs: 1,
    maxPollMs: 1,
  };
}

describe("backfill (the one-off pending index backfill)", () => {
  it("records every stored image without an approved label once, so the next run finds them", async () => {
    const ports = migratedLake();
    const out = { stdout: "", stderr: "" };
    expect(await runCli(["--json", "backfill", "--stack", "dev"], environment(ports, out))).to.equal(0);
    expect(JSON.parse(out.stdout)).to.deep.equal({
      prefix: "images/",
      dryRun: false,
      images: 2500,
      labeled: 2000,
      alreadyPending: 1,
      marked: 499,
    });
    const found = await findUnlabeledImages(
      { imagesPrefix: "images/", maxImages: 1000, labelingJobName: "qi-dev-label-1" },
      { ...ports, log: recordingLog() },
    );
    expect(found).to.include({ images: 500, unlabeled: 500, selected: 500 });
  });

  it("records nothing the second time, and nothing on a dry run", async () => {
    const ports = migratedLake();
    const out = { stdout: "", stderr: "" };
    await runCli(["--json", "backfill", "--dry-run"], environment(ports, out));
    expect(JSON.parse(out.stdout)).to.include({ marked: 499, dryRun: true });
    expect([...ports.objects.objects.keys()].filter((k) => k.startsWith("pending/"))).to.have.length(1);
    await runCli(["backfill"], environment(ports, out));
    out.stdout = "";
    await runCli(["--json", "backfill"], environment(ports, out));
    expect(JSON.parse(out.stdout)).to.include({ marked: 0, alreadyPending: 500 });
  });

  it("refuses a prefix outside images/ naming the flag, exit 2", async () => {
    const out = { stdout: "", stderr: "" };
    const code = await runCli(["backfill", "--prefix", "models/"], environment(migratedLake(), out));
    expect(code).to.equal(2);
    expect(out.stderr).to.contain("--prefix must be a folder under images/");
  });
});
