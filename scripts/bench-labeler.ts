import { readFileSync } from "node:fs";
import path from "node:path";
import type { Annotation } from "../contracts/labelRecord";
import { iou } from "../edge/src/postprocess";
import { blankPredrawer, LocalVersionedObjects, modelPredrawer, startLabeler } from "../labeler";
import type { Predrawer } from "../labeler/src/predraw";
import { MemoryObjectStore } from "../test/fakes/memoryPorts";
import { realSampleImages } from "../test/harness/images";
import { LabelerPage } from "../test/harness/labelerPage";
import { RecordingCallbacks, writeBatch } from "../test/harness/labelingBatches";
import { scratchLabels } from "../test/harness/scratches";
import { launchChromium, newPage } from "../test/processes/chromium";

/**
 * `npm run bench:labeler -- [--images N]`
 *
 * 1. How many of the demo model's pre-drawn boxes are right on the real camera samples (IoU ≥ 0.5 with a box of
 *    labels/labels.csv, one to one): precision, recall, and images whose boxes need no change at all.
 * 2. Seconds per image in the labeling page in chromium, a scripted person bringing each image to its true boxes:
 *    with the model's boxes pre-drawn (keep the good ones, fix poor ones, delete wrong ones, draw missed ones) and
 *    from scratch (draw every box). The person's pointer moves like a hand (Fitts' law, eased paths at 60 Hz) and
 *    they look at each image and each box before acting; those human constants are in the JSON, the rest is measured.
 *
 * Needs chromium and ../shared/datasets/scratches. The last line is JSON.
 */

const MODEL = path.resolve(__dirname, "..", "models", "demo");
/** The scripted person: Fitts' law for pointer moves (a + b·log2(D/W + 1), W a 10 px target) and looking times. */
const HUMAN = { fittsA: 0.2, fittsB: 0.1, targetPx: 10, lookPerImageS: 1.0, checkPerBoxS: 0.4, keyS: 0.2 };
/** A pre-drawn box this close to the truth is kept as it is. */
const GOOD_ENOUGH_IOU = 0.8;

type Box = [number, number, number, number];
const corners = (a: Annotation): Box => [a.left, a.top, a.left + a.width, a.top + a.height];
const handMs = (distance: number) => 1000 * (HUMAN.fittsA + HUMAN.fittsB * Math.log2(distance / HUMAN.targetPx + 1));

/** One-to-one matches (best IoU first) of `boxes` to `truth` with IoU ≥ 0.5: index pairs and their IoU. */
function match(boxes: Box[], truth: Box[]): { box: number; truth: number; iou: number }[] {
  const pairs = boxes
    .flatMap((b, i) => truth.map((t, j) => ({ box: i, truth: j, iou: iou(b, t) })))
    .filter((p) => p.iou >= 0.5)
    .sort((x, y) => y.iou - x.iou);
  const used = { box: new Set<number>(), truth: new Set<number>() };
  return pairs.filter((p) => {
    if (used.box.has(p.box) || used.truth.has(p.truth)) return false;
    used.box.add(p.box);
    used.truth.add(p.truth);
    return true;
  });
}

interface Sample {
  key: string;
  bytes: Buffer;
  truth: Box[];
}

function samples(limit: number): Sample[] {
  const truthOf = new Map(
    scratchLabels("bench").map(({ key, record }) => [
      path.basename(key),
      (JSON.parse(record.annotations) as Annotation[]).map(corners),
    ]),
  );
  return realSampleImages()
    .slice(0, limit)
    .map((file) => ({
      key: `images/line-1/${path.basename(file)}`,
      bytes: readFileSync(file),
      truth: truthOf.get(path.basename(file)) ?? [],
    }));
}

async function modelAccuracy(images: Sample[], predrawer: Predrawer) {
  let predrawn = 0;
  let correct = 0;
  let truthBoxes = 0;
  let exactlyRight = 0;
  for (const image of images) {
    const boxes = (await predrawer.predraw(image.bytes)).annotations.map(corners);
    const matches = match(boxes, image.truth);
    predrawn += boxes.length;
    truthBoxes += image.truth.length;
    correct += matches.length;
    const allGood = matches.every((m) => m.iou >= GOOD_ENOUGH_IOU);
    if (allGood && matches.length === boxes.length && matches.length === image.truth.length) exactlyRight += 1;
  }
  const round = (v: number) => Math.round(v * 1000) / 1000;
  return {
    images: images.length,
    predrawnBoxes: predrawn,
    correctBoxes: correct,
    trueBoxes: truthBoxes,
    precision: round(correct / Math.max(1, predrawn)),
    recall: round(correct / Math.max(1, truthBoxes)),
    imagesNeedingNoChange: exactlyRight,
  };
}

/** The person's work on one image: bring the boxes on the page to `truth`, then save. */
async function labelOne(ui: LabelerPage, truth: Box[]): Promise<void> {
  const pause = (s: number) => ui.page.waitForTimeout(s * 1000);
  await pause(HUMAN.lookPerImageS);
  const shown = (await ui.boxes()).map(([x, y, w, h]): Box => [x, y, x + w, y + h]);
  await pause(HUMAN.checkPerBoxS * shown.length);
  const matches = match(shown, truth);
  // Delete the wrong ones, last first so the indexes of the others stay.
  const wrong = shown.map((_, i) => i).filter((i) => !matches.some((m) => m.box === i));
  for (const i of wrong.reverse()) {
    const [x1, y1, x2, y2] = shown[i];
    await ui.drag([(x1 + x2) / 2, (y1 + y2) / 2], [(x1 + x2) / 2, (y1 + y2) / 2]);
    await ui.page.keyboard.press("Delete");
    await pause(HUMAN.keyS);
  }
  const boxes = (await ui.boxes()).map(([x, y, w, h]): Box => [x, y, x + w, y + h]);
  for (const m of match(boxes, truth)) {
    if (m.iou >= GOOD_ENOUGH_IOU) continue;
    const [x1, y1, x2, y2] = boxes[m.box];
    const [t1, u1, t2, u2] = truth[m.truth];
    await ui.drag([(x1 + x2) / 2, (y1 + y2) / 2], [(x1 + x2) / 2 + t1 - x1, (y1 + y2) / 2 + u1 - y1]);
    await ui.drag([t1 + (x2 - x1), u1 + (y2 - y1)], [t2, u2]);
  }
  for (const [j, t] of truth.entries()) {
    if (match(boxes, truth).some((m) => m.truth === j)) continue;
    // Starting inside a box would move that box: Shift draws anyway.
    const current = (await ui.boxes()).map(([x, y, w, h]): Box => [x, y, x + w, y + h]);
    const inside = current.some(([x1, y1, x2, y2]) => t[0] >= x1 && t[0] <= x2 && t[1] >= y1 && t[1] <= y2);
    await ui.drag([t[0], t[1]], [t[2], t[3]], { shift: inside });
  }
  await ui.page.keyboard.press(truth.length === 0 ? "n" : "Enter");
}

/**
 * Labels every image of a batch in the page: seconds per image from one image shown to the next, and how many images
 * were saved with exactly their true boxes (IoU ≥ 0.5, one to one) — the scripted person did the whole job.
 */
async function timeLabeling(images: Sample[], predrawer: Predrawer): Promise<{ seconds: number[]; right: number }> {
  const objects = new MemoryObjectStore();
  await writeBatch(objects, { images: images.map(({ key, bytes }) => ({ key, bytes })) });
  const deps = { objects, versioned: new LocalVersionedObjects(objects), callbacks: new RecordingCallbacks() };
  const labeler = await startLabeler({ job: "qi-dev-label-1", labeler: "bench" }, { ...deps, predrawer });
  const browser = await launchChromium();
  try {
    const page = await newPage(browser, { viewport: { width: 1000, height: 900 } });
    await page.goto(labeler.url);
    const ui = new LabelerPage(page, handMs);
    const truthOf = new Map(images.map((image) => [image.key, image.truth]));
    const seconds: number[] = [];
    let previous: string | undefined;
    for (let i = 0; i < images.length; i++) {
      const { id, key } = await ui.nextImage(previous);
      const shownAt = performance.now();
      previous = id;
      await labelOne(ui, truthOf.get(key)!);
      if (i + 1 < images.length) await ui.nextImage(previous);
      else await page.waitForSelector('#status[data-kind="done"]');
      seconds.push((performance.now() - shownAt) / 1000);
    }
    let right = 0;
    for (const image of labeler.session.images) {
      const saved = (await labeler.session.savedLabel(image.id))!.annotations.map(corners);
      const truth = truthOf.get(image.key)!;
      if (saved.length === truth.length && match(saved, truth).length === truth.length) right += 1;
    }
    return { seconds, right };
  } finally {
    await browser.close();
    await labeler.close();
  }
}

async function main(): Promise<void> {
  const at = process.argv.indexOf("--images");
  const limit = at === -1 ? 17 : Number(process.argv[at + 1]);
  if (!Number.isInteger(limit) || limit < 1)
    throw new Error(`--images must be a whole number from 1 (got ${process.argv[at + 1]})`);
  const images = samples(limit);
  if (images.length === 0) throw new Error("no real sample images: ../shared/datasets/scratches is missing");
  const predrawer = await modelPredrawer(MODEL);
  const model = await modelAccuracy(images, predrawer);
  console.log(
    `demo model on ${model.images} samples: ${model.correctBoxes} of ${model.predrawnBoxes} pre-drawn boxes right (IoU ≥ 0.5), ${model.correctBoxes} of ${model.trueBoxes} true boxes found`,
  );
  const mean = (values: number[]) => Math.round((values.reduce((a, b) => a + b, 0) / values.length) * 100) / 100;
  const predrawn = await timeLabeling(images, predrawer);
  const scratch = await timeLabeling(images, blankPredrawer);
  for (const [name, run] of [
    ["pre-drawn", predrawn],
    ["from scratch", scratch],
  ] as const) {
    const each = run.seconds.map((s) => s.toFixed(1)).join(", ");
    console.log(`${name}: ${mean(run.seconds)} s per image (${each}); ${run.right} of ${images.length} saved right`);
  }
  console.log(
    JSON.stringify({
      images: images.length,
      secondsPerImage: { predrawn: mean(predrawn.seconds), fromScratch: mean(scratch.seconds) },
      savedRight: { predrawn: predrawn.right, fromScratch: scratch.right },
      model: { path: "models/demo", ...model },
      human: { ...HUMAN, keepIou: GOOD_ENOUGH_IOU },
    }),
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
