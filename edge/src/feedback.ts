import { EventEmitter } from "node:events";
import { promises as fs } from "node:fs";
import path from "node:path";
import { deviceImageKey, DeviceImageKeyError } from "../../contracts/dataLake";
import { InferenceResult } from "../../contracts/inferenceMessages";
import { EdgeConfig } from "./config";
import { Courier, Link } from "./courier";
import { writeAtomically } from "./files";
import { imageContentType } from "../../lib/imageFiles";
import { Log } from "./log";
import { Dropped, Outbox } from "./outbox";
import { decideSample, SampleReason, UncertaintyRule } from "./sampling";
import { FolderImageUploader, ImageUploader, S3ImageUploader } from "./uploaders";

/** What the upload outbox keeps next to each image. */
export type UploadMeta = { key: string; contentType: string; metadata: string };

/** Send times of the last hour, kept next to the upload outbox so the hourly cap holds across restarts. */
const HISTORY_FILE = "sampling.json";
/** S3 allows 2 KB of user metadata; 20 scores leave plenty of room. */
const MAX_SCORES_IN_METADATA = 20;

/** Free text in S3 user metadata must be ASCII: percent-encode it (plain names read unchanged). */
const ascii = (text: string) => encodeURIComponent(text);

/** The S3 user metadata of an image sent back (names lower-case, values ASCII). */
export function uploadMetadata(result: InferenceResult, reason: SampleReason): Record<string, string> {
  const [classes, scores] = result.inference_results[0];
  const top = scores.slice(0, MAX_SCORES_IN_METADATA);
  return {
    "thing-name": result.thingName,
    "image-name": ascii(result.image_name),
    "inspected-at": result.timestamp,
    "message-id": result.messageId,
    "model-name": ascii(result.modelName),
    "model-version": ascii(result.modelVersion),
    reason,
    detections: String(scores.length),
    "best-score": String(scores[0] ?? 0),
    ...(top.length > 0
      ? {
          scores: top.join(","),
          classes: top.map((_, i) => ascii(result.classNames[classes[i]] ?? String(classes[i]))).join(","),
        }
      : {}),
  };
}

export function uncertaintyRuleOf(config: EdgeConfig): UncertaintyRule {
  return {
    maxScore: config.uncertaintyMaxScore,
    band: config.uncertaintyBand,
    maxPerHour: config.uncertaintyMaxPerHour,
    randomRate: config.uncertaintyRandomRate,
  };
}

export function createUploader(config: EdgeConfig): ImageUploader | undefined {
  const { upload } = config;
  if (upload.kind === "s3") {
    return new S3ImageUploader({
      bucket: upload.bucket,
      region: config.uploadRegion!,
      endpoint: config.uploadEndpoint,
    });
  }
  if (upload.kind === "folder") return new FolderImageUploader(upload.dir);
  return undefined;
}

/** HTTP uploads have no connection to wait for: every attempt goes out, and failures back off in the courier. */
class AlwaysReachable extends EventEmitter implements Link {
  readonly connected = true;
}

export interface FeedbackOptions {
  /** Folder of the upload outbox (and of the sampling history). */
  dir: string;
  maxBytes: number;
  rule: UncertaintyRule;
  uploader: ImageUploader;
  log: Log;
  random?: () => number;
  now?: () => number;
}

export interface Consideration {
  /** The image is in the upload outbox on disk. */
  sent: boolean;
  /** Images the full outbox dropped to make room for this one. */
  dropped: number;
  /** When those had been queued. */
  drop?: Dropped;
}

/**
 * The feedback loop on the device: decides with the sampling rule which inspected images go back to the data lake,
 * stores those in their own durable outbox, and lets a courier upload them one at a time — retried with backoff,
 * removed only after the upload succeeded, bounded in bytes. Independent of result delivery: an unreachable bucket
 * only makes images wait.
 */
export class Feedback {
  private readonly courier: Courier<UploadMeta>;
  private capped = false;
  private warnedUnsendable = false;

  private constructor(
    private readonly options: FeedbackOptions,
    private readonly outbox: Outbox<UploadMeta>,
    private history: number[],
  ) {
    const { uploader, log } = options;
    const uploadLog: Log = {
      info: (m) => log.info(`uploads: ${m}`),
      warn: (m) => log.warn(`uploads: ${m}`),
      error: (m) => log.error(`uploads: ${m}`),
    };
    this.courier = new Courier<UploadMeta>(
      outbox,
      new AlwaysReachable(),
      ({ payload, meta }) =>
        uploader.put({
          key: meta.key,
          body: payload,
          contentType: meta.contentType,
          metadata: JSON.parse(meta.metadata) as Record<string, string>,
        }),
      uploadLog,
    );
  }

  static async open(options: FeedbackOptions): Promise<Feedback> {
    const outbox = await Outbox.open<UploadMeta>(options.dir, {
      maxBytes: options.maxBytes,
      onCorrupt: (file, reason) => options.log.warn(`upload outbox: set aside unreadable ${file}: ${reason}`),
    });
    return new Feedback(options, outbox, await readHistory(path.join(options.dir, HISTORY_FILE), options.log));
  }

  /** Images waiting for upload. */
  get queued(): number {
    return this.outbox.length;
  }

  /** Images the full upload outbox has dropped, over its whole life. */
  get dropped(): number {
    return this.outbox.dropped;
  }

  summary(): string {
    const { rule, uploader } = this.options;
    const band = rule.band ? `, band ${rule.band[0]}-${rule.band[1]}` : "";
    const random = rule.randomRate > 0 ? `, ${rule.randomRate * 100}% of the rest` : "";
    return (
      `uncertain images → ${uploader.target} (best score < ${rule.maxScore}${band}${random}, ` +
      `at most ${rule.maxPerHour}/h, ${this.outbox.length} queued)`
    );
  }

  start(): void {
    this.courier.start();
  }

  /**
   * Applies the sampling rule to one inspected image and, when it is sent, stores the original bytes in the upload
   * outbox under its data lake key. Resolves once the image is on disk.
   */
  async consider(bytes: Buffer, result: InferenceResult): Promise<Consideration> {
    const { rule, log } = this.options;
    const now = this.options.now?.() ?? Date.now();
    const decision = decideSample(
      result.inference_results[0][1],
      rule,
      this.history,
      now,
      this.options.random ?? Math.random,
    );
    this.history = decision.history;
    // Said once when the cap closes; it counts as open again only when an image is sent (not when one merely did
    // not qualify), so images that alternate between qualifying and not do not repeat the line.
    if (decision.capped && !this.capped) {
      log.info(`uploads: ${rule.maxPerHour} images sent back in the last hour; holding further ones back`);
    }
    if (decision.capped) this.capped = true;
    else if (decision.send) this.capped = false;
    if (!decision.send) return { sent: false, dropped: 0 };

    let key: string;
    try {
      key = deviceImageKey({
        thingName: result.thingName,
        inspectedAt: new Date(result.timestamp),
        imageName: result.image_name,
        messageId: result.messageId,
      });
    } catch (error) {
      if (!(error instanceof DeviceImageKeyError)) throw error;
      if (!this.warnedUnsendable) log.warn(`uploads: cannot send ${result.image_name} back: ${error.message}`);
      this.warnedUnsendable = true;
      return { sent: false, dropped: 0 };
    }
    try {
      await writeHistory(path.join(this.options.dir, HISTORY_FILE), this.history);
      const { dropped, drop } = await this.outbox.append(bytes, {
        key,
        // deviceImageKey above accepts only the data lake's image types, each of which has a content type.
        contentType: imageContentType(result.image_name)!,
        metadata: JSON.stringify(uploadMetadata(result, decision.reason!)),
      });
      return { sent: true, dropped, ...(drop && { drop }) };
    } catch (error) {
      log.error(`uploads: cannot queue ${result.image_name} in ${this.options.dir}: ${(error as Error).message}`);
      return { sent: false, dropped: 0 };
    }
  }

  /** Resolves true when every queued image is uploaded, or false after `ms`. */
  drained(ms: number): Promise<boolean> {
    return this.courier.drained(ms);
  }

  /** Stops; an upload in flight is cut off and, like everything queued, sent after the next start. */
  async stop(): Promise<void> {
    const stopped = this.courier.stop();
    // Closing the client fails a request in flight at once instead of after its timeout.
    this.options.uploader.close();
    await stopped;
  }
}

async function readHistory(file: string, log: Log): Promise<number[]> {
  let text: string;
  try {
    text = await fs.readFile(file, "utf8");
  } catch {
    return [];
  }
  try {
    const sentAt = (JSON.parse(text) as { sentAt?: unknown }).sentAt;
    if (Array.isArray(sentAt) && sentAt.every((t) => Number.isFinite(t))) return sentAt as number[];
  } catch {
    // Reported below.
  }
  log.warn(`uploads: ignoring unreadable ${file}; the hourly cap starts afresh`);
  return [];
}

function writeHistory(file: string, sentAt: number[]): Promise<void> {
  return writeAtomically(file, JSON.stringify({ sentAt }));
}
