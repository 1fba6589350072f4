import { promises as fs } from "node:fs";
import { inFolder, listImages, signatureOf, statOrUndefined } from "./folderListing";
import { Frame, ImageSource, Pull } from "./source";

/**
 * `folder-replay`: the camera simulator for demos and the offline run. Lists the folder, hands out every image in name
 * order, then starts over — forever, or once with `--once`. Files are never moved. An image that could not be read
 * or decoded is skipped on later passes until it changes (size or modification time), so it is reported once.
 */
export class FolderReplaySource implements ImageSource {
  readonly kind = "folder-replay";
  private pass: string[] = [];
  private position = 0;
  private passes = 0;
  private readonly failed = new Map<string, string>();

  constructor(
    readonly dir: string,
    private readonly once: boolean,
  ) {}

  get description(): string {
    return `folder-replay ${this.dir} (cycles through every image${this.once ? " once" : ""})`;
  }

  get ended(): boolean {
    return this.once && this.passes > 0 && this.position >= this.pass.length;
  }

  async next(_signal?: AbortSignal): Promise<Pull> {
    while (true) {
      if (this.position >= this.pass.length) {
        if (this.once && this.passes > 0) return "end";
        const names = await listImages(this.dir);
        if (names.length === 0) return { idle: `no images in ${this.dir}` };
        this.pass = names;
        this.position = 0;
        this.passes += 1;
      }
      const name = this.pass[this.position++];
      const file = inFolder(this.dir, name);
      const known = this.failed.get(name);
      if (known !== undefined) {
        const stat = await statOrUndefined(file);
        if (stat && signatureOf(stat) === known) {
          if (this.position >= this.pass.length && this.pass.every((n) => this.failed.has(n))) {
            if (this.once) return "end";
            return { idle: `every image in ${this.dir} failed; waiting for one to change` };
          }
          continue;
        }
        this.failed.delete(name);
      }
      return this.frame(name, file);
    }
  }

  private frame(name: string, file: string): Frame {
    return {
      name,
      capturedAt: Date.now(),
      read: () => fs.readFile(file),
      settle: async (outcome) => {
        if (outcome === "inspected") return;
        const stat = await statOrUndefined(file);
        if (stat) this.failed.set(name, signatureOf(stat));
      },
    };
  }

  async close(): Promise<void> {}
}
