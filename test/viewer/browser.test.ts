import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { Browser, Page } from "playwright-core";
import { DEFAULT_RESULT_TOPIC, errorTopicOf, InferenceResult } from "../../contracts/inferenceMessages";
import { startViewer, Viewer } from "../../viewer";
import { AedesBroker } from "../processes/aedesBroker";
import { CHROMIUM, launchChromium, newPage, NO_CHROMIUM } from "../processes/chromium";
import { gradientJpeg, NO_SCRATCHES_DATA } from "../harness/images";
import { freePort } from "../processes/mosquitto";
import { deviceError, labelledSampleResults, result } from "../harness/viewerMessages";
import { eventually } from "../harness/wait";
import { skipBecause } from "../harness/skip";

const TOPIC = DEFAULT_RESULT_TOPIC;
const ERRORS = errorTopicOf(TOPIC);
const ARTIFACTS = path.resolve(__dirname, "..", "..", "test-artifacts");

/** A detection's box as drawn: the SVG attributes, and its place on screen converted back to image pixels. */
interface DrawnBox {
  attributes: number[];
  onScreen: number[];
  label: string;
  belowThreshold: boolean;
}

/** The little of the DOM the page functions below use (the project compiles without the DOM library). */
interface PageElement {
  getAttribute(name: string): string | null;
  getBoundingClientRect(): { left: number; top: number; right: number; bottom: number; width: number; height: number };
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): ArrayLike<PageElement>;
  textContent: string | null;
  classList: { contains(name: string): boolean };
}
declare const document: PageElement;

async function drawnBoxes(page: Page): Promise<DrawnBox[]> {
  return page.$$eval("#frame .detection", (groups: PageElement[]) => {
    const frame = document.querySelector("#frame") as PageElement;
    const [, , width, height] = (frame.getAttribute("viewBox") ?? "").split(" ").map(Number);
    const area = frame.getBoundingClientRect();
    return groups.map((group) => {
      const rect = group.querySelector("rect") as PageElement;
      const box = rect.getBoundingClientRect();
      const toX = (px: number) => ((px - area.left) * width) / area.width;
      const toY = (px: number) => ((px - area.top) * height) / area.height;
      return {
        attributes: ["x", "y", "width", "height"].map((a) => Number(rect.getAttribute(a))),
        onScreen: [toX(box.left), toY(box.top), toX(box.right), toY(box.bottom)],
        label: group.querySelector("text")?.textContent ?? "",
        belowThreshold: group.classList.contains("below-threshold"),
      };
    });
  });
}

const text = (page: Page, selector: string) => page.locator(selector).innerText();
const svgText = async (page: Page, selector: string) => (await page.locator(selector).textContent()) ?? "";
const rows = (page: Page) =>
  page.$$eval("#result-rows tr", (trs) => trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => td.innerText)));

describe("viewer page in chromium (playwright-core), fed by a real MQTT broker", function () {
  const dir = mkdtempSync(path.join(os.tmpdir(), "qi-viewer-browser-"));
  const images = path.join(dir, "camera");
  let broker: AedesBroker;
  let viewer: Viewer;
  let port: number;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  const subscribed = () => broker.subscribers(TOPIC) === 1 && broker.subscribers(ERRORS) === 1;
  const showsLatest = (message: InferenceResult, image: string) =>
    page.waitForSelector(`#frame[data-message-id="${message.messageId}"][data-image="${image}"]`);

  before(async function () {
    if (!CHROMIUM) skipBecause(this, `${NO_CHROMIUM}`);
    mkdirSync(images);
    writeFileSync(path.join(images, "part-001.jpg"), await gradientJpeg(450, 300, { x: 90, y: 130, w: 60, h: 8 }));
    writeFileSync(path.join(images, "part-002.jpg"), await gradientJpeg(450, 300));
    broker = await AedesBroker.start();
    port = await freePort();
    viewer = await startViewer({ broker: broker.url, imagesDir: images, port });
    await eventually(subscribed, "the viewer's subscriptions");
    browser = await launchChromium();
    page = await newPage(browser, { viewport: { width: 1280, height: 900 } });
    page.on("pageerror", (error) => pageErrors.push(error.message));
    // Console errors include Content Security Policy violations; a missing image's 404 is expected.
    page.on("console", (message) => {
      if (message.type() === "error" && !message.text().startsWith("Failed to load resource")) {
        pageErrors.push(message.text());
      }
    });
    await page.goto(viewer.url);
    await page.waitForSelector('#broker[data-state="connected"]');
  });

  after(async () => {
    await browser?.close();
    await viewer?.close();
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("shows each result once: verdict by threshold, totals and a row per image, newest first", async () => {
    const failing = result("part-001.jpg", [
      { score: 0.91, box: [81.23, 123.4, 163.78, 220.05] },
      { score: 0.3, box: [300, 40, 420, 90] },
    ]);
    const passing = result("part-002.jpg", [], { inferenceMs: 12.34 });
    const atThreshold = result("part-003.jpg", [{ score: 0.5, box: [1, 2, 3, 4] }], { inferenceMs: 55.96 });
    for (const message of [atThreshold, passing, failing, failing]) await broker.publish(TOPIC, message);

    await page.waitForFunction(() => document.querySelector("#total-duplicates")?.textContent === "1");
    expect(await text(page, "#total-inspected")).to.equal("3");
    expect(await text(page, "#total-failed")).to.equal("2");
    expect(await text(page, "#total-defect-rate")).to.equal("66.7 %");
    const model = "scratch-detector train-2026-11-29";
    expect((await rows(page)).map((cells) => cells.slice(1))).to.deep.equal([
      ["part-001.jpg", "FAIL", "2", "0.91", "40.0", model],
      ["part-002.jpg", "PASS", "0", "–", "12.3", model],
      ["part-003.jpg", "FAIL", "1", "0.50", "56.0", model],
    ]);
  });

  it("draws the latest image with its boxes where the result puts them, in image pixels", async () => {
    const message = result(
      "part-001.jpg",
      [
        { score: 0.91, box: [81.23, 123.4, 163.78, 220.05] },
        { score: 0.3, box: [300, 40, 420, 90] },
      ],
      { seed: "boxes" },
    );
    await broker.publish(TOPIC, message);
    await showsLatest(message, "loaded");
    expect(await page.getAttribute("#frame", "viewBox")).to.equal("0 0 450 300");
    expect(await page.getAttribute("#frame image", "href")).to.equal(`images/part-001.jpg?m=${message.messageId}`);
    expect(await text(page, "#latest-caption")).to.match(/^FAIL part-001\.jpg · 2 detections · scratch-detector/);

    const boxes = await drawnBoxes(page);
    expect(boxes.map((b) => [b.label, b.belowThreshold])).to.deep.equal([
      ["scratch 0.91", false],
      ["scratch 0.30", true],
    ]);
    const expected = message.inference_results[0][2];
    boxes.forEach((box, i) => {
      const [x1, y1, x2, y2] = expected[i];
      expect(box.attributes).to.deep.equal([x1, y1, x2 - x1, y2 - y1]);
      box.onScreen.forEach((v, k) => expect(v, `box ${i} coordinate ${k} on screen`).to.be.closeTo(expected[i][k], 1));
    });
  });

  it("draws the boxes on a blank frame of the reported size when the image is not available", async () => {
    const message = result("gone.jpg", [{ score: 0.7, box: [320, 240, 600, 470] }], { width: 640, height: 480 });
    await broker.publish(TOPIC, message);
    await showsLatest(message, "missing");
    expect(await page.getAttribute("#frame", "viewBox")).to.equal("0 0 640 480");
    expect(
      await page.$$eval("#frame .blank", (r) => r.map((e) => [e.getAttribute("width"), e.getAttribute("height")])),
    ).to.deep.equal([["640", "480"]]);
    expect(await page.locator("#frame image").count()).to.equal(0);
    expect(await svgText(page, "#frame .missing-note")).to.equal("gone.jpg is not available");
    const [box] = await drawnBoxes(page);
    expect(box.attributes).to.deep.equal([320, 240, 280, 230]);
    box.onScreen.forEach((v, k) => expect(v).to.be.closeTo([320, 240, 600, 470][k], 1));
  });

  it("shows a message that breaks the schema as an error, with the validation problem", async () => {
    const { modelVersion: _dropped, ...invalid } = result("part-004.jpg", [], { seed: "invalid" });
    await broker.publish(TOPIC, invalid);
    const item = page.locator('#problem-list > li[data-kind="invalid"]').first();
    await item.waitFor();
    expect(await item.locator(".problems").innerText()).to.contain("must have required property 'modelVersion'");
    expect(await item.innerText()).to.contain(`Invalid message on ${TOPIC}`);
    expect(await item.locator(".payload").innerText()).to.contain('"image_name":"part-004.jpg"');
    expect(await text(page, "#total-invalid")).to.equal("1");
    expect(await text(page, "#total-inspected")).to.equal("5");
  });

  it("shows the device's error messages", async () => {
    await broker.publish(ERRORS, deviceError("IMAGE_UNREADABLE", "not a JPEG: unexpected end of data", "broken.jpg"));
    const item = page.locator('#problem-list > li[data-kind="deviceError"]').first();
    await item.waitFor();
    expect(await item.innerText()).to.match(
      /^IMAGE_UNREADABLE broken\.jpg: not a JPEG: unexpected end of data — line-1/,
    );
    expect(await text(page, "#total-device-errors")).to.equal("1");
  });

  it("shows the same state after a reload", async () => {
    const before = {
      rows: await rows(page),
      totals: await text(page, "#totals dl"),
      problems: await text(page, "#problem-list"),
    };
    await page.reload();
    await page.waitForFunction((n) => document.querySelectorAll("#result-rows tr").length === n, before.rows.length);
    expect(await rows(page)).to.deep.equal(before.rows);
    expect(await text(page, "#totals dl")).to.equal(before.totals);
    expect(await text(page, "#problem-list")).to.equal(before.problems);
    expect(await page.getAttribute("#frame", "viewBox")).to.equal("0 0 640 480");
  });

  it("renders real camera images with their boxes (screenshot kept in test-artifacts/)", async function () {
    const samples = labelledSampleResults().slice(0, 6);
    if (samples.length === 0) {
      console.log(`      screenshot of generated images only: ${NO_SCRATCHES_DATA}`);
    }
    for (const { file, result: message } of samples) {
      copyFileSync(file, path.join(images, path.basename(file)));
      await broker.publish(TOPIC, message);
    }
    const latest = samples.at(-1)?.result;
    if (latest) await showsLatest(latest, "loaded");
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, "viewer.png"), fullPage: true });
  });

  it("shows a broker restart, reconnects and keeps receiving", async () => {
    await broker.stop();
    await page.waitForSelector('#broker[data-state="reconnecting"]');
    await broker.start();
    await page.waitForSelector('#broker[data-state="connected"]', { timeout: 30_000 });
    await eventually(subscribed, "the renewed subscriptions", 30_000);
    const message = result("after-restart.jpg", [], { seed: "broker restart" });
    await broker.publish(TOPIC, message);
    await page.waitForSelector(`#result-rows tr[data-message-id="${message.messageId}"]`);
  });

  it("reconnects by itself to a restarted viewer and takes over its state", async () => {
    await viewer.close();
    await page.waitForSelector('#server[data-state="reconnecting"]');
    viewer = await startViewer({ broker: broker.url, port });
    await page.waitForSelector('#server[data-state="connected"]', { timeout: 30_000 });
    await page.waitForFunction(() => document.querySelectorAll("#result-rows tr").length === 0);
    expect(await text(page, "#total-inspected")).to.equal("0");
    await eventually(subscribed, "the new viewer's subscriptions");
    const message = result("part-001.jpg", [{ score: 0.6, box: [10, 10, 50, 50] }], { seed: "viewer restart" });
    await broker.publish(TOPIC, message);
    await showsLatest(message, "not-served");
    expect(await text(page, "#total-inspected")).to.equal("1");
    expect(await svgText(page, "#frame .missing-note")).to.equal("no images folder: boxes on a blank frame");
  });

  it("ran without a script error or a security policy violation on the page", () => {
    expect(pageErrors).to.deep.equal([]);
  });
});
