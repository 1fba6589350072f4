import { expect } from "chai";
import { Browser, Page } from "playwright-core";
import { DEFAULT_RESULT_TOPIC, errorTopicOf } from "../../contracts/inferenceMessages";
import { startViewer, Viewer } from "../../viewer";
import { AedesBroker } from "../processes/aedesBroker";
import { CHROMIUM, launchChromium, newPage, NO_CHROMIUM } from "../processes/chromium";
import { freePort } from "../processes/mosquitto";
import { skipBecause } from "../harness/skip";
import { result } from "../harness/viewerMessages";
import { eventually } from "../harness/wait";

const TOPIC = DEFAULT_RESULT_TOPIC;

interface PageElement {
  getAttribute(name: string): string | null;
  textContent: string | null;
}

/** What the page drew for one device: its caption, its levels and each point's share and mark. */
async function drawn(page: Page, device: string) {
  const figure = `figure.p-chart[data-device="${device}"]`;
  await page.waitForSelector(figure);
  const value = (selector: string) =>
    page.$eval(`${figure} ${selector}`, (g: PageElement) => Number(g.getAttribute("data-value")));
  return {
    caption: await page.locator(`${figure} figcaption`).innerText(),
    centre: await value("g.centre"),
    upper: await value("g.upper"),
    lower: await value("g.lower"),
    points: await page.$$eval(`${figure} circle.point`, (dots: PageElement[]) =>
      dots.map((d) => [Number(d.getAttribute("data-p")), d.getAttribute("data-outside")]),
    ),
  };
}

describe("control chart page in chromium, fed by a real MQTT broker", function () {
  let broker: AedesBroker;
  let viewer: Viewer;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  before(async function () {
    if (!CHROMIUM) skipBecause(this, NO_CHROMIUM);
    broker = await AedesBroker.start();
    viewer = await startViewer({ broker: broker.url, port: await freePort() });
    await eventually(
      () => broker.subscribers(TOPIC) === 1 && broker.subscribers(errorTopicOf(TOPIC)) === 1,
      "the viewer's subscriptions",
    );
    // line-1: 8 subgroups of 10 parts with 1 failed each, then one with 8 failed. line-2: one part only.
    const failedIn = (i: number) => (i < 80 ? i % 10 === 0 : i % 10 < 8);
    for (let i = 0; i < 90; i++) {
      const detections = failedIn(i) ? [{ score: 0.9, box: [1, 1, 5, 5] as [number, number, number, number] }] : [];
      await broker.publish(TOPIC, result(`p-${i}.jpg`, detections, { thingName: "line-1", seed: `l1-${i}` }));
    }
    await broker.publish(TOPIC, result("q.jpg", [], { thingName: "line-2", seed: "l2" }));
    browser = await launchChromium();
    page = await newPage(browser, { viewport: { width: 1000, height: 900 } });
    page.on("pageerror", (error) => pageErrors.push(error.message));
    page.on("console", (message) => {
      if (message.type() === "error") pageErrors.push(message.text());
    });
  });

  after(async () => {
    await browser?.close();
    await viewer?.close();
    await broker?.stop();
  });

  it("draws each device's p-chart for the window in the address: centre, 3-sigma limits, the point outside marked", async () => {
    await page.goto(`${viewer.url}control-chart?window=10`);
    const chart = await drawn(page, "line-1");
    const centre = (8 * 1 + 8) / 90;
    const sigma = Math.sqrt((centre * (1 - centre)) / 10);
    expect(chart.centre).to.be.closeTo(centre, 1e-9);
    expect(chart.upper).to.be.closeTo(centre + 3 * sigma, 1e-9);
    expect(chart.lower).to.equal(0);
    expect(chart.points).to.deep.equal([...Array.from({ length: 8 }, () => [0.1, null]), [0.8, "above"]]);
    expect(chart.caption).to.equal("line-1: 9 subgroups of 10 parts, centre 17.8 %, 1 outside the limits");
    expect(await page.locator('figure[data-device="line-2"] figcaption').innerText()).to.equal(
      "line-2: 1 parts, fewer than one subgroup of 10",
    );
    expect(pageErrors).to.deep.equal([]);
  });

  it("redraws with another window from the form", async () => {
    await page.fill("#window", "30");
    await page.click("#window-form button");
    await page.waitForFunction(() =>
      (globalThis as unknown as { location: { search: string } }).location.search.includes("window=30"),
    );
    await eventually(async () => (await drawn(page, "line-1")).points.length === 3, "three subgroups of 30");
    const chart = await drawn(page, "line-1");
    // Parts 60–89: two of the 1-in-10 subgroups, then the shifted one with 8 failed.
    expect(chart.points.map(([p]) => p)).to.deep.equal([3 / 30, 3 / 30, (2 + 8) / 30]);
  });

  it("answers a bad window with 400 naming the form, and the page says so", async () => {
    const response = await fetch(`${viewer.url}control-chart.json?window=1e3`);
    expect(response.status).to.equal(400);
    expect(await response.text()).to.equal('window must be a whole number from 2 to 1000 (got "1e3")\n');
    await page.goto(`${viewer.url}control-chart?window=0`);
    await page.waitForSelector('#chart-status[data-state="error"]');
    expect(await page.locator("#chart-status").innerText()).to.include("window must be a whole number from 2 to 1000");
  });
});
