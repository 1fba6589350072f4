import { rmSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { FileLabelStore } from "../../../offline/fileLabelStore";
import { OfflineOptions, runOffline } from "../../../offline/run";
import { STATES } from "../../../stateMachines/states";
import { tempDir } from "../../harness/modelFolders";
import { PROJECT_DIR } from "../../harness/pulumiProgram";

const options = (workDir: string, overrides: Partial<OfflineOptions>): OfflineOptions => ({
  projectDir: PROJECT_DIR,
  stack: "dev",
  workDir,
  clean: true,
  images: 30,
  seed: 1,
  cameraImages: 4,
  skipTraining: true,
  // A gate no model passes: the run ends after evaluation, which is all these tests need. The person here draws 15
  // boxes, so the dataset's box gate (20 by default) is lowered to let the run get there.
  config: { "qualityinspection:evaluation.minMap50_95": "0.9", "qualityinspection:dataset.minBoxes": "1" },
  edgeSeconds: 0,
  edgeInterval: 0.2,
  keepRunning: false,
  viewerPort: null,
  ...overrides,
});

const BOX = { class_id: 0, left: 4, top: 5, width: 20, height: 10 };

describe("offline: labeling with the labeling app (labeling.provider=builtin)", function () {
  this.timeout(240_000);
  const dir = tempDir("offline-labeling");
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("--label-by-hand pauses at labeling, prints the app's address, and ingests what the person saved", async () => {
    const lines: string[] = [];
    let labeling: Promise<string[]> | undefined;
    const workDir = path.join(dir, "by-hand");
    const result = await runOffline(options(workDir, { labelByHand: true, labelerPort: 0 }), {
      print: (line) => {
        lines.push(line);
        const url = /label by hand: open (\S+)/.exec(line)?.[1];
        if (url) labeling = labelEverything(url);
      },
    });
    expect(result.status, lines.join("\n")).to.equal("SUCCEEDED");
    expect(lines.join("\n")).to.contain("labeling.provider groundtruth → builtin (--label-by-hand");
    const saved = await labeling!;
    expect(result.path).to.include(STATES.ingestLabels);
    const records = await new FileLabelStore(path.join(workDir, "label-store", "qi-dev-labels.jsonl")).get(saved);
    expect([...records.found.values()].map((r) => JSON.parse(r.annotations))).to.deep.equal(
      saved.map((_, i) => (i % 2 === 0 ? [BOX] : [])),
    );
  });

  it("without it, the local workforce answers the batch from ground truth at once", async () => {
    const lines: string[] = [];
    const config = { ...options("", {}).config, "qualityinspection:labeling.provider": "builtin" };
    const result = await runOffline(
      options(path.join(dir, "workforce"), {
        config: { ...config, "qualityinspection:labeling.createPrivateWorkforce": "false" },
      }),
      { print: (line) => lines.push(line) },
    );
    expect(result.status, lines.join("\n")).to.equal("SUCCEEDED");
    expect(result.path).to.include.members([STATES.labelImages, STATES.ingestLabels]);
    expect(lines.join("\n")).to.match(/labeling batch labeling\/.+\/batch\.json: \d+ images \(local workforce/);
  });
});

/** A person in the app: a box on every other image, "no defect" on the rest; returns the image ids in order. */
async function labelEverything(url: string): Promise<string[]> {
  const post = async (method: string, route: string, body: unknown) => {
    const response = await fetch(new URL(route, url), { method, body: JSON.stringify(body) });
    if (!response.ok) throw new Error(`${route}: ${await response.text()}`);
    return (await response.json()) as { done?: boolean; image: { id: string; width: number; height: number } };
  };
  const ids: string[] = [];
  for (;;) {
    const next = await post("POST", "/api/next", { labeler: "ana" });
    if (next.done) return ids;
    const { id, width, height } = next.image;
    await post("PUT", `/api/labels/${id}`, {
      labeler: "ana",
      width,
      height,
      annotations: ids.length % 2 === 0 ? [BOX] : [],
    });
    ids.push(id);
  }
}
