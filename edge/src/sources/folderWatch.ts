import { createHash } from "node:crypto";
import { promises as fs } from "node:fs";
import path from "node:path";
import { Log } from "../log";
import { RepeatedProblem } from "../repeatedProblem";
import { inFolder, listImages, signatureOf, statOrUndefined } from "./folderListing";
import { Frame, ImageSource, Pull } from "./source";

export const AFTER_INSPECTION = ["move", "delete"] as const;
export type AfterInspection = (typeof AFTER_INSPECTION)[number];

export interface FolderWatchOptions {
  dir: string;
  /** A file counts as complete once its size and modification time held still this long (or were that old). */
  settleMs: number;
  /** `move`: into processed/ or failed/ beside the images; `delete`: removed either way. */
  afterInspection: AfterInspection;
  /** Files kept in processed/ and in failed/ each; the oldest go first. */
  retain: number;
  thingName: string;
  log: Log;
}

/**
 * `folder-watch`, the device default: a camera or a line PC drops files into a folder; each is inspected once, after
 * it is complete, then moved out (or deleted). The folder itself is the position: what is still in it has not been
 * finished, so a restart goes on where it stopped. A crash between queuing a result and moving its file inspects that
 * file again after the restart — with the same messageId (derived from the file), which consumers drop as a repeat.
 */
export class FolderWatchSource implements ImageSource {
  readonly kind = "folder-watch";
  /** First sighting of each file still being written: its signature and when it was seen so. */
  private readonly seen = new Map<string, { signature: string; since: number }>();
  /** Files whose move failed: not inspected again while they stay as they are. */
  private readonly stuck = new Map<string, string>();
  private readonly moveProblem: RepeatedProblem;

  constructor(private readonly options: FolderWatchOptions) {
    this.moveProblem = new RepeatedProblem(options.log);
  }

  get description(): string {
    const { dir, afterInspection, retain, settleMs } = this.options;
    const after = afterInspection === "move" ? `moved to processed/ or failed/ (${retain} kept each)` : "deleted";
    return `folder-watch ${dir} (each new image once, complete after ${settleMs / 1000} s still, then ${after})`;
  }

  async next(_signal?: AbortSignal): Promise<Pull> {
    const { dir, settleMs } = this.options;
    const names = await listImages(dir);
    const now = Date.now();
    const ready: { name: string; mtimeMs: number; signature: string }[] = [];
    for (const name of names) {
      const stat = await statOrUndefined(inFolder(dir, name));
      if (!stat) continue;
      const signature = signatureOf(stat);
      if (this.stuck.get(name) === signature) continue;
      const before = this.seen.get(name);
      const stillFor = before?.signature === signature ? now - before.since : 0;
      if (stillFor >= settleMs || now - stat.mtimeMs >= settleMs)
        ready.push({ name, mtimeMs: stat.mtimeMs, signature });
      else if (before?.signature !== signature) this.seen.set(name, { signature, since: now });
    }
    for (const name of this.seen.keys()) if (!names.includes(name)) this.seen.delete(name);
    if (ready.length === 0) {
      const writing = this.seen.size;
      return { idle: writing > 0 ? `${writing} images in ${dir} still being written` : `no new images in ${dir}` };
    }
    ready.sort((a, b) => a.mtimeMs - b.mtimeMs || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const { name, signature } = ready[0];
    this.seen.delete(name);
    return this.frame(name, signature);
  }

  private frame(name: string, signature: string): Frame {
    const file = inFolder(this.options.dir, name);
    return {
      name,
      capturedAt: Date.now(),
      messageId: stableMessageId(`${this.options.thingName}/${name}/${signature}`),
      read: () => fs.readFile(file),
      settle: async (outcome) => {
        try {
          await this.finish(name, file, outcome);
          this.moveProblem.clear("moving inspected images works again");
        } catch (error) {
          this.stuck.set(name, signature);
          // Said once while it repeats: the folder and the reason, not each file's name.
          const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
          const to =
            this.options.afterInspection === "delete"
              ? "delete"
              : `move into ${outcome === "inspected" ? "processed" : "failed"}/`;
          this.moveProblem.report(
            `cannot ${to} the images of ${this.options.dir} (${reason}); each stays and is not inspected again until it changes`,
          );
        }
      },
    };
  }

  private async finish(name: string, file: string, outcome: "inspected" | "failed"): Promise<void> {
    if (this.options.afterInspection === "delete") return fs.rm(file, { force: true });
    const target = path.join(this.options.dir, outcome === "inspected" ? "processed" : "failed");
    await fs.mkdir(target, { recursive: true });
    // A time prefix keeps a later file of the same name from replacing an earlier one, and sorts oldest first.
    const stamp = new Date().toISOString().replace(/[-:.]/g, "");
    await fs.rename(file, path.join(target, `${stamp}-${name}`));
    await this.prune(target);
  }

  /** Keeps the newest `retain` files of a processed/ or failed/ folder. */
  private async prune(target: string): Promise<void> {
    const names = (await fs.readdir(target)).filter((n) => !n.startsWith(".")).sort();
    for (const old of names.slice(0, Math.max(0, names.length - this.options.retain))) {
      await fs.rm(path.join(target, old), { force: true });
    }
  }

  async close(): Promise<void> {}
}

/** A UUID v4-shaped id that is the same for the same input, so a re-inspected file keeps its messageId. */
export function stableMessageId(key: string): string {
  const hex = createHash("sha256").update(key).digest("hex");
  const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
