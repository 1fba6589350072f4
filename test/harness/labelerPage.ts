import type { Page } from "playwright-core";

/** The little of the DOM the page functions below use (the project compiles without the DOM library). */
interface PageElement {
  getBoundingClientRect(): { left: number; top: number; width: number; height: number };
  getAttribute(name: string): string | null;
}

/** Moves like a hand: an eased path in `steps` moves over `ms` milliseconds (about 60 moves a second). */
export async function moveLikeAHand(page: Page, from: [number, number], to: [number, number], ms: number) {
  const steps = Math.max(2, Math.round(ms / 16));
  for (let i = 1; i <= steps; i++) {
    const t = i / steps;
    const eased = t < 0.5 ? 2 * t * t : 1 - (-2 * t + 2) ** 2 / 2;
    await page.mouse.move(from[0] + (to[0] - from[0]) * eased, from[1] + (to[1] - from[1]) * eased);
    await page.waitForTimeout(ms / steps);
  }
}

/** The labeling page's canvas: from image pixels to the screen, and the boxes drawn, in image pixels. */
export class LabelerPage {
  private pointer: [number, number] = [0, 0];

  constructor(
    readonly page: Page,
    /** Milliseconds a hand takes for a move of `distance` screen pixels; 0: the pointer jumps. */
    private readonly handMs: (distance: number) => number = () => 0,
  ) {}

  /** Waits for an image other than `previous`; returns its id and the key the status line names. */
  async nextImage(previous?: string): Promise<{ id: string; key: string }> {
    await this.page.waitForFunction((prev) => {
      const id = (globalThis as unknown as { document: { querySelector(s: string): PageElement | null } }).document
        .querySelector("#canvas")
        ?.getAttribute("data-image-id");
      return id && id !== prev;
    }, previous ?? "");
    const id = (await this.page.getAttribute("#canvas", "data-image-id"))!;
    const key = (await this.page.locator("#status").innerText()).split(":")[0];
    return { id, key };
  }

  async screenOf([x, y]: [number, number]): Promise<[number, number]> {
    // A DOMRect's fields are getters: copied one by one, or they do not survive the trip out of the page.
    const { left, top, screenWidth, width } = await this.page.$eval("#canvas", (canvas: PageElement) => {
      const rect = canvas.getBoundingClientRect();
      const viewBox = (canvas.getAttribute("viewBox") ?? "").split(" ");
      return { left: rect.left, top: rect.top, screenWidth: rect.width, width: Number(viewBox[2]) };
    });
    const scale = screenWidth / width;
    return [left + x * scale, top + y * scale];
  }

  /** Presses at one image point and releases at another, moving like a hand in between; Shift held if asked. */
  async drag(from: [number, number], to: [number, number], { shift = false } = {}): Promise<void> {
    const [a, b] = [await this.screenOf(from), await this.screenOf(to)];
    await this.travel(a);
    if (shift) await this.page.keyboard.down("Shift");
    await this.page.mouse.down();
    await this.travel(b);
    await this.page.mouse.up();
    if (shift) await this.page.keyboard.up("Shift");
  }

  /** The boxes on the canvas, in image pixels, as `[left, top, width, height]`. */
  boxes(): Promise<number[][]> {
    return this.page.$$eval("#canvas .box rect.outline", (rects: PageElement[]) =>
      rects.map((r) => ["x", "y", "width", "height"].map((a) => Number(r.getAttribute(a)))),
    );
  }

  private async travel(to: [number, number]): Promise<void> {
    const ms = this.handMs(Math.hypot(to[0] - this.pointer[0], to[1] - this.pointer[1]));
    if (ms > 0) await moveLikeAHand(this.page, this.pointer, to, ms);
    else await this.page.mouse.move(to[0], to[1], { steps: 4 });
    this.pointer = to;
  }
}
