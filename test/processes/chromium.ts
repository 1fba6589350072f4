import { existsSync } from "node:fs";
import { Browser, BrowserContextOptions, chromium, Page } from "playwright-core";

/** Debian's chromium (`apt-get install chromium`; `.ci/run` installs it), or the one QI_CHROMIUM names. */
const DEBIAN_CHROMIUM = ["/usr/bin/chromium", "/usr/bin/chromium-browser"];
export const CHROMIUM = process.env.QI_CHROMIUM
  ? [process.env.QI_CHROMIUM].find(existsSync)
  : DEBIAN_CHROMIUM.find(existsSync);
export const NO_CHROMIUM = process.env.QI_CHROMIUM
  ? `QI_CHROMIUM names ${process.env.QI_CHROMIUM}, which does not exist`
  : "chromium is not installed (apt-get install chromium; .ci/run does, or set QI_CHROMIUM)";

/**
 * Headless chromium with a fresh profile (playwright makes a temporary --user-data-dir per launch). Without the
 * background-networking flags chromium reaches for Google's services at start-up, which a closed network refuses.
 */
export function launchChromium(): Promise<Browser> {
  if (!CHROMIUM) throw new Error(NO_CHROMIUM);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    timeout: 60_000,
  });
}

/**
 * A page in a fresh context. Functions that tests hand to `page.evaluate` are compiled by tsx (esbuild), which
 * wraps named functions in a `__name` helper that exists only in Node: the page gets a stand-in.
 */
export async function newPage(browser: Browser, options: BrowserContextOptions = {}): Promise<Page> {
  const context = await browser.newContext(options);
  await context.addInitScript({ content: "globalThis.__name = (fn) => fn;" });
  return context.newPage();
}
