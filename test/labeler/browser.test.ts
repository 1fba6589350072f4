import { readFileSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { Browser } from "playwright-core";
import { LocalVersionedObjects, modelPredrawer, startLabeler } from "../../labeler";
import { STATES } from "../../stateMachines/qualityInspection";
import { NO_SCRATCHES_DATA, realSampleImages } from "../harness/images";
import { LabelerPage } from "../harness/labelerPage";
import { runPipeline } from "../harness/pipelineHarness";
import { skipBecause } from "../harness/skip";
import { CHROMIUM, launchChromium, newPage, NO_CHROMIUM } from "../processes/chromium";

const DEMO_MODEL = path.resolve(__dirname, "..", "..", "models", "demo");
/** Three real camera samples: one box from the demo model, none, and one box. */
const SAMPLES = {
  adjust: "image-2020-04-22-10-51-14-06-cropped-left-top.jpg",
  good: "image-2020-04-22-10-15-03-04-cropped-right-top.jpg",
  confirm: "image-2020-04-22-11-09-24-05-cropped-left-bottom.jpg",
};

describe("labeler page in chromium: a person labels a run's batch end to end", function () {
  this.timeout(180_000);
  let browser: Browser;

  before(async function () {
    if (!CHROMIUM) skipBecause(this, NO_CHROMIUM);
    if (realSampleImages().length === 0) skipBecause(this, NO_SCRATCHES_DATA);
    browser = await launchChromium();
  });
  after(() => browser?.close());

  it("adjusts a pre-drawn box, adds one, marks an image good, and the run ingests exactly those boxes", async () => {
    const samples = Object.fromEntries(realSampleImages().map((file) => [path.basename(file), file]));
    const sampleOf = new Map<string, string>();
    const pageErrors: string[] = [];
    const seen: Record<string, number[][]> = {};
    // What the demo model predicts for each sample, asked directly: the page must show exactly these boxes.
    const predrawer = await modelPredrawer(DEMO_MODEL);
    const predicted: Record<string, number[][]> = {};
    for (const name of Object.values(SAMPLES)) {
      const { annotations } = await predrawer.predraw(readFileSync(samples[name]));
      predicted[name] = annotations.map(({ left, top, width, height }) => [left, top, width, height]);
    }
    expect(predicted[SAMPLES.adjust], "the scenario needs one pre-drawn box to adjust").to.have.length(1);
    expect(predicted[SAMPLES.good], "and none on the good part").to.deep.equal([]);
    expect(predicted[SAMPLES.confirm], "and one to confirm").to.have.length(1);

    const run = await runPipeline({
      newImages: 3,
      args: (args) => {
        args.labeling.provider = "builtin";
        args.labeling.workforce = { kind: "none" };
        args.labeling.builtin = { heartbeatSeconds: 120, timeoutSeconds: 150 };
      },
      // The run's new images are the three camera samples.
      before: (world) => {
        const fresh = [...world.objects.objects.keys()].filter((key) => key.includes("/new-")).sort();
        Object.values(SAMPLES).forEach((name, i) => {
          world.objects.put(fresh[i], readFileSync(samples[name]));
          sampleOf.set(fresh[i], name);
        });
      },
      labelBatch: async (batchKey, world) => {
        const [token] = world.tokens.open;
        const labeler = await startLabeler(
          { job: batchKey.split("/")[1], labeler: "ana" },
          {
            objects: world.objects,
            versioned: new LocalVersionedObjects(world.objects),
            callbacks: world.tokens,
            predrawer,
          },
        );
        try {
          const page = await newPage(browser, { viewport: { width: 1000, height: 900 } });
          page.on("pageerror", (error) => pageErrors.push(error.message));
          await page.goto(labeler.url);
          const ui = new LabelerPage(page);
          let previous: string | undefined;
          for (let i = 0; i < 3; i++) {
            const { id, key } = await ui.nextImage(previous);
            previous = id;
            const sample = sampleOf.get(key);
            seen[sample!] = await ui.boxes();
            if (sample === SAMPLES.adjust) {
              const [left, top, width, height] = seen[sample][0];
              await ui.drag([left + width, top + height], [390, 170]);
              await ui.drag([20, 20], [60, 50]);
              await page.keyboard.press("Enter");
            } else if (sample === SAMPLES.good) await page.keyboard.press("n");
            else await page.keyboard.press("Enter");
          }
          await page.waitForSelector('#status[data-kind="done"]');
          expect(await page.getAttribute("#progress", "data-labeled")).to.equal("3");
        } catch (error) {
          // Let the run end now rather than at its timeout.
          await world.tokens.fail(token, "TestFailed", (error as Error).message);
          throw error;
        } finally {
          await labeler.close();
        }
      },
    });

    expect(run.labelBatchError?.message).to.equal(undefined);
    expect(pageErrors).to.deep.equal([]);
    expect(seen, "the page shows what the model predicts").to.deep.equal(predicted);
    expect(run.path).to.include(STATES.ingestLabels);
    const ingested = Object.fromEntries(
      [...run.world.labels.records.values()]
        .filter((record) => record.source_ref.includes("/new-"))
        .map((record) => [sampleOf.get(record.source_ref.split("qi-test-lake/")[1]), JSON.parse(record.annotations)]),
    );
    const box = (left: number, top: number, width: number, height: number) => ({
      class_id: 0,
      left,
      top,
      width,
      height,
    });
    // The adjusted box keeps its top-left corner, its bottom-right dragged to (390, 170); the new one as drawn.
    const [[left, top]] = predicted[SAMPLES.adjust];
    const [confirmed] = predicted[SAMPLES.confirm];
    expect(ingested).to.deep.equal({
      [SAMPLES.adjust]: [box(left, top, 390 - left, 170 - top), box(20, 20, 40, 30)],
      [SAMPLES.good]: [],
      [SAMPLES.confirm]: [box(...(confirmed as [number, number, number, number]))],
    });
  });
});
