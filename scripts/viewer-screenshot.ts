import { writeFileSync } from "node:fs";
import path from "node:path";
import sharp from "sharp";
import { DEFAULT_RESULT_TOPIC, errorTopicOf } from "../contracts/inferenceMessages";
import { startViewer } from "../viewer";
import { AedesBroker } from "../test/processes/aedesBroker";
import { CHROMIUM, launchChromium, newPage, NO_CHROMIUM } from "../test/processes/chromium";
import { NO_SCRATCHES_DATA, scratchesDir } from "../test/harness/images";
import { deviceError, labelledSampleResults } from "../test/harness/viewerMessages";
import { eventually } from "../test/harness/wait";

/**
 * `npm run docs:viewer` writes docs/viewer.png: the live viewer in headless chromium after the real camera samples
 * went through an in-process broker, with their label boxes as detections (the data set has labels, not a
 * detector's output) and one device error. Needs chromium and ../shared/datasets/scratches.
 */

const OUTPUT = path.resolve(__dirname, "..", "docs", "viewer.png");

async function main(): Promise<void> {
  const data = scratchesDir();
  if (!CHROMIUM || !data) throw new Error(!CHROMIUM ? NO_CHROMIUM : NO_SCRATCHES_DATA);
  const samples = labelledSampleResults().slice(0, 9);
  const broker = await AedesBroker.start();
  const viewer = await startViewer({ broker: broker.url, imagesDir: path.join(data, "sample_images"), port: 0 });
  const browser = await launchChromium();
  try {
    await eventually(() => broker.subscribers(errorTopicOf(DEFAULT_RESULT_TOPIC)) === 1, "the viewer's subscriptions");
    const page = await newPage(browser, { viewport: { width: 1200, height: 820 } });
    await page.goto(viewer.url);
    await page.waitForSelector('#broker[data-state="connected"]');
    await broker.publish(
      errorTopicOf(DEFAULT_RESULT_TOPIC),
      deviceError("IMAGE_UNREADABLE", "cannot decode: unexpected end of JPEG data", "part-0413.jpg"),
    );
    for (const { result } of samples) await broker.publish(DEFAULT_RESULT_TOPIC, result);
    const latest = samples[samples.length - 1].result.messageId;
    await page.waitForSelector(`#frame[data-message-id="${latest}"][data-image="loaded"]`);
    const png = await page.screenshot();
    const small = await sharp(png).png({ palette: true, colours: 64, compressionLevel: 9 }).toBuffer();
    writeFileSync(OUTPUT, small);
    console.log(
      `${path.relative(process.cwd(), OUTPUT)}: ${samples.length} results, ${(small.length / 1024).toFixed(0)} KiB`,
    );
  } finally {
    await browser.close();
    await viewer.close();
    await broker.stop();
  }
}

main().then(
  () => setTimeout(() => process.exit(0), 200).unref(),
  (error: Error) => {
    console.error(error.message);
    process.exit(1);
  },
);
