import { z } from "zod";
import { isImageKey } from "../../contracts/dataLake";
import {
  LABELING_BATCH_REJECTED,
  LabelingBatch,
  LabelingBatchResult,
  labelingBatchSchema,
} from "../../contracts/labelingBatch";
import { Annotation, annotationSchema, imageIdFromKey } from "../../contracts/labelRecord";
import {
  boundingBoxOutputLine,
  groundTruthCreationDate,
  groundTruthOutputUri,
  LABEL_ATTRIBUTE,
  labelingJobKeys,
} from "../../lib/labeling";
import type { ObjectStore, TaskCallbacks } from "../../lib/ports";
import { keyInBucket } from "../../lib/s3Uri";
import { lines, readAll } from "../../lib/streams";
import { AlreadyLabeledError, BadRequestError, BatchClosedError, ImageClaimedError, UnknownImageError } from "./errors";
import type { VersionedObjects } from "./versionedObjects";

/** A person holds an image this long after taking it; after that anyone may take it. */
export const DEFAULT_CLAIM_SECONDS = 15 * 60;

export interface BatchImage {
  /** The label store's image id: also the id the page and the claims use. */
  id: string;
  key: string;
  /** The input manifest's line, which the output line repeats. */
  entry: Record<string, unknown> & { "source-ref": string };
}

const claimSchema = z.object({ labeler: z.string(), expiresAt: z.number() });
const savedSchema = z.object({
  labeler: z.string(),
  savedAt: z.number(),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  annotations: z.array(annotationSchema),
});
export type SavedLabel = z.infer<typeof savedSchema>;
const endSchema = z.object({ how: z.enum(["finished", "rejected"]), by: z.string(), at: z.number() });

export interface BatchDeps {
  objects: ObjectStore;
  versioned: VersionedObjects;
  callbacks: TaskCallbacks;
  now?: () => number;
  claimSeconds?: number;
}

export interface Progress {
  total: number;
  labeled: number;
  remaining: number;
  /** Images someone other than the asker holds now. */
  claimedByOthers: number;
  closed?: "finished" | "rejected";
}

/**
 * One labeling batch as the app sees it: the images of the input manifest, people's claims on them (with expiry),
 * the labels they saved (one object per image: closing a page loses nothing saved), and the batch's end. When the
 * last image is saved the app writes Ground Truth's output manifest and completes the run's task token; a person may
 * instead reject the whole batch, which fails the token. Every shared write is conditional, so several people (each
 * with their own app) never overwrite each other.
 */
export class BatchSession {
  private readonly now: () => number;
  private readonly claimMs: number;
  private readonly byId: Map<string, BatchImage>;

  private constructor(
    private readonly deps: BatchDeps,
    readonly batch: LabelingBatch,
    readonly classes: string[],
    readonly images: BatchImage[],
  ) {
    this.now = deps.now ?? Date.now;
    this.claimMs = (deps.claimSeconds ?? DEFAULT_CLAIM_SECONDS) * 1000;
    this.byId = new Map(images.map((image) => [image.id, image]));
  }

  /** Reads the batch file the state machine wrote, its manifest and its categories. */
  static async open(deps: BatchDeps, batchKey: string): Promise<BatchSession> {
    const { objects } = deps;
    const text = async (key: string) => (await readAll(await objects.read(key))).toString("utf8");
    const batch = labelingBatchSchema.parse(JSON.parse(await text(batchKey)));
    const categories = z
      .object({ labels: z.array(z.object({ label: z.string().min(1) })).min(1) })
      .parse(JSON.parse(await text(keyInBucket(batch.categoriesUri, objects.bucket))));
    const images: BatchImage[] = [];
    for await (const line of lines(await objects.read(keyInBucket(batch.manifestUri, objects.bucket)))) {
      if (line.trim() === "") continue;
      const entry = z.looseObject({ "source-ref": z.string() }).parse(JSON.parse(line));
      const key = keyInBucket(entry["source-ref"], objects.bucket);
      if (!isImageKey(key)) throw new Error(`${entry["source-ref"]} in ${batch.manifestUri} is not an image`);
      images.push({ id: imageIdFromKey(key), key, entry });
    }
    return new BatchSession(
      deps,
      batch,
      categories.labels.map((l) => l.label),
      images,
    );
  }

  static batchKeyOf(jobName: string): string {
    return labelingJobKeys(jobName).batch;
  }

  image(id: string): BatchImage {
    const image = this.byId.get(id);
    if (!image) throw new UnknownImageError(id);
    return image;
  }

  async imageBytes(image: BatchImage): Promise<Buffer> {
    return readAll(await this.deps.objects.read(image.key));
  }

  async progress(labeler: string): Promise<Progress> {
    const [saved, end] = await Promise.all([this.savedIds(), this.end()]);
    const open = this.images.filter((image) => !saved.has(image.id));
    const claims = await Promise.all(open.map((image) => this.claimOf(image.id)));
    const claimedByOthers = claims.filter((claim) => claim?.live && claim.labeler !== labeler).length;
    const total = this.images.length;
    return {
      total,
      labeled: saved.size,
      remaining: total - saved.size,
      claimedByOthers,
      ...(end ? { closed: end.how } : {}),
    };
  }

  /** The next image for `labeler`: one they hold already, else the first no one holds; undefined when none is left. */
  async next(labeler: string): Promise<{ image: BatchImage; expiresAt: number } | undefined> {
    // A closed batch has nothing left to label; the progress says how it ended.
    if (await this.end()) return undefined;
    const saved = await this.savedIds();
    const open = this.images.filter((image) => !saved.has(image.id));
    const claims = await Promise.all(open.map(async (image) => ({ image, claim: await this.claimOf(image.id) })));
    const mine = claims.find(({ claim }) => claim?.live && claim.labeler === labeler);
    const candidates = mine ? [mine] : claims.filter(({ claim }) => !claim?.live);
    for (const { image } of candidates) {
      const expiresAt = await this.tryClaim(image.id, labeler).catch((error: unknown) => {
        if (error instanceof ImageClaimedError || error instanceof AlreadyLabeledError) return undefined;
        throw error;
      });
      if (expiresAt !== undefined) return { image, expiresAt };
    }
    return undefined;
  }

  /** Takes (or renews) the image for `labeler`; refuses an image someone else holds, or one already labeled. */
  async claim(imageId: string, labeler: string): Promise<number> {
    this.image(imageId);
    await this.open();
    return this.tryClaim(imageId, labeler);
  }

  /**
   * Saves `labeler`'s boxes for the image (an empty list: no defect), renewing the run's heartbeat. The image must be
   * theirs, or no one's. Returns the progress; the last image finishes the batch.
   */
  async save(imageId: string, labeler: string, label: { width: number; height: number; annotations: Annotation[] }) {
    const image = this.image(imageId);
    this.checkBoxes(label);
    await this.claim(imageId, labeler);
    const saved: SavedLabel = { labeler, savedAt: this.now(), ...label };
    const key = `${labelingJobKeys(this.batch.jobName).saved}${image.id}.json`;
    if (!(await this.deps.versioned.putIf(key, JSON.stringify(saved), undefined))) {
      throw new AlreadyLabeledError(image.id, (await this.savedLabel(image.id))?.labeler ?? "someone");
    }
    await this.deps.callbacks.heartbeat(this.batch.taskToken);
    const progress = await this.progress(labeler);
    if (progress.remaining > 0) return progress;
    await this.finish(labeler);
    return this.progress(labeler);
  }

  /** Fails the run's labeling with the person's reason; the images are chosen again next run. */
  async reject(labeler: string, reason: string): Promise<void> {
    await this.close("rejected", labeler);
    await this.deps.callbacks.fail(this.batch.taskToken, LABELING_BATCH_REJECTED, `${labeler}: ${reason}`);
  }

  async savedLabel(imageId: string): Promise<SavedLabel | undefined> {
    const stored = await this.deps.versioned.get(`${labelingJobKeys(this.batch.jobName).saved}${imageId}.json`);
    return stored && savedSchema.parse(JSON.parse(stored.text));
  }

  /** Writes the output manifest in image order and sends it to the run; only the first of several apps does. */
  private async finish(labeler: string): Promise<void> {
    if (!(await this.close("finished", labeler))) return;
    const creationDate = groundTruthCreationDate(new Date(this.now()));
    const job = { attribute: LABEL_ATTRIBUTE, name: this.batch.jobName, classNames: this.classes, creationDate };
    const output: string[] = [];
    const counters = { total: this.images.length, withDefects: 0, noDefect: 0 };
    const labelers = new Set<string>();
    for (const image of this.images) {
      const saved = (await this.savedLabel(image.id))!;
      labelers.add(saved.labeler);
      if (saved.annotations.length > 0) counters.withDefects += 1;
      else counters.noDefect += 1;
      output.push(`${boundingBoxOutputLine(image.entry, saved, { ...job, confidence: 1 })}\n`);
    }
    const outputManifestUri = groundTruthOutputUri(this.batch.outputUri, this.batch.jobName);
    await this.deps.objects.write(
      keyInBucket(outputManifestUri, this.deps.objects.bucket),
      output.join(""),
      "application/jsonlines",
    );
    const result: LabelingBatchResult = { outputManifestUri, counters, labelers: [...labelers].sort() };
    await this.deps.callbacks.succeed(this.batch.taskToken, result);
  }

  private checkBoxes({ width, height, annotations }: { width: number; height: number; annotations: Annotation[] }) {
    annotations.forEach((box, i) => {
      if (box.class_id >= this.classes.length) {
        throw new BadRequestError(`annotations.${i}.class_id must be below ${this.classes.length}`);
      }
      if (box.left + box.width > width + 0.5 || box.top + box.height > height + 0.5) {
        throw new BadRequestError(`annotations.${i} must lie inside the ${width}×${height} image`);
      }
    });
  }

  private async tryClaim(imageId: string, labeler: string): Promise<number> {
    const saved = await this.savedLabel(imageId);
    if (saved) throw new AlreadyLabeledError(imageId, saved.labeler);
    const key = `${labelingJobKeys(this.batch.jobName).claims}${imageId}.json`;
    const current = await this.deps.versioned.get(key);
    const claim = current && claimSchema.parse(JSON.parse(current.text));
    if (claim && claim.labeler !== labeler && claim.expiresAt > this.now()) {
      throw new ImageClaimedError(imageId, claim.labeler, claim.expiresAt);
    }
    const expiresAt = this.now() + this.claimMs;
    if (!(await this.deps.versioned.putIf(key, JSON.stringify({ labeler, expiresAt }), current?.version))) {
      const winner = await this.claimOf(imageId);
      throw new ImageClaimedError(imageId, winner?.labeler ?? "someone", winner?.expiresAt ?? expiresAt);
    }
    return expiresAt;
  }

  private async claimOf(imageId: string) {
    const stored = await this.deps.versioned.get(`${labelingJobKeys(this.batch.jobName).claims}${imageId}.json`);
    if (!stored) return undefined;
    const claim = claimSchema.parse(JSON.parse(stored.text));
    return { ...claim, live: claim.expiresAt > this.now() };
  }

  private async savedIds(): Promise<Set<string>> {
    const ids = new Set<string>();
    const prefix = labelingJobKeys(this.batch.jobName).saved;
    for await (const object of this.deps.objects.list(prefix)) {
      const id = object.key.slice(prefix.length).replace(/\.json$/, "");
      if (this.byId.has(id)) ids.add(id);
    }
    return ids;
  }

  private async end() {
    const stored = await this.deps.versioned.get(labelingJobKeys(this.batch.jobName).end);
    return stored && endSchema.parse(JSON.parse(stored.text));
  }

  private async open(): Promise<void> {
    const end = await this.end();
    if (end) throw new BatchClosedError(`${end.how} by ${end.by}`);
  }

  /** Marks the batch's end once; false when another app (or person) ended it first. */
  private async close(how: "finished" | "rejected", by: string): Promise<boolean> {
    const key = labelingJobKeys(this.batch.jobName).end;
    const closed = await this.deps.versioned.putIf(key, JSON.stringify({ how, by, at: this.now() }), undefined);
    if (!closed && how === "rejected") throw new BatchClosedError((await this.end())?.how ?? "ended");
    return closed;
  }
}
