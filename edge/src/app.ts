import { promises as fs } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { errorTopicOf, InferenceErrorCode } from "../../contracts/inferenceMessages";
import { ImageFolder } from "./camera";
import { EdgeConfig, EdgeConfigError, EdgeConfigField, flagNameOf } from "./config";
import { Courier } from "./courier";
import { Detector } from "./detector";
import { DropNotices } from "./dropNotices";
import { createUploader, Feedback, uncertaintyRuleOf } from "./feedback";
import { ImageDecodeError } from "./image";
import { Log } from "./log";
import { errorMessage, resultMessage, summaryLine } from "./messages";
import { Outbox } from "./outbox";
import { GreengrassIpcTransport } from "./transports/greengrassIpc";
import { MqttTransport, TlsFilesError } from "./transports/mqtt";
import { Transport } from "./transports/transport";
import { ImageUploader } from "./uploaders";

/** What the outbox keeps next to each MQTT payload. */
type MqttMeta = { topic: string };

export function createTransport(config: EdgeConfig, log: Log): Transport {
  if (config.transport === "greengrass-ipc") {
    return new GreengrassIpcTransport({ ackTimeoutSeconds: config.ackTimeoutSeconds, log });
  }
  return asConfigError(
    () =>
      new MqttTransport({
        broker: config.broker,
        clientId: config.clientId,
        cert: config.cert,
        key: config.key,
        ca: config.ca,
        ackTimeoutSeconds: config.ackTimeoutSeconds,
        protocol: config.mqttVersion,
        log,
      }),
  );
}

/** Problems only the files themselves reveal (certificates aws-crt refuses) are configuration problems: exit 2. */
function asConfigError<T>(make: () => T): T {
  try {
    return make();
  } catch (error) {
    if (error instanceof TlsFilesError) throw new EdgeConfigError([error.message]);
    throw error;
  }
}

/** A folder that passed the config check but cannot be used (no permission, read-only disk): exit 2, one line. */
async function openFolder<T>(field: EdgeConfigField, dir: string, open: () => Promise<T>): Promise<T> {
  try {
    return await open();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (!code) throw error;
    throw new EdgeConfigError([`${flagNameOf(field)} must be a folder this process can write (${dir}: ${code})`]);
  }
}

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_BAD_CONFIG = 2;

/**
 * The detector process: cycles through the image folder, inspects each image, stores its result in the outbox and
 * lets the courier deliver it. `stop()` (SIGTERM/SIGINT) ends the loop after the image in flight, keeps delivering
 * for up to `shutdownTimeoutSeconds`, then closes the client and the session; undelivered messages stay on disk.
 */
export class EdgeApp {
  private stopping = false;
  private readonly stopped = new AbortController();
  private readonly errorTopic: string;
  private readonly drops: DropNotices;

  private constructor(
    private readonly config: EdgeConfig,
    private readonly detector: Detector,
    private readonly outbox: Outbox<MqttMeta>,
    private readonly transport: Transport,
    private readonly log: Log,
    /** Sends uncertain images back for labeling; undefined when uploads are off. */
    private readonly feedback?: Feedback,
  ) {
    this.errorTopic = errorTopicOf(config.topic);
    this.drops = new DropNotices(outbox, this.errorTopic, config.thingName, log);
  }

  static async create(
    config: EdgeConfig,
    log: Log,
    transport = createTransport(config, log),
    uploader: ImageUploader | undefined = createUploader(config),
  ): Promise<EdgeApp> {
    const detector = await Detector.load(config.model, {
      threads: config.threads,
      scoreThreshold: config.scoreThreshold,
      iouThreshold: config.iouThreshold,
      maxDetections: config.maxDetections,
      maxImagePixels: config.maxImagePixels,
      bare: {
        layout: config.layout,
        inputWidth: config.inputSize?.width,
        inputHeight: config.inputSize?.height,
        classes: config.classes,
        padValue: config.padValue,
      },
      log,
    });
    const outbox = await openFolder("outboxDir", config.outboxDir, () =>
      Outbox.open<MqttMeta>(config.outboxDir, {
        maxBytes: config.outboxMaxBytes,
        onCorrupt: (file, reason) => log.warn(`outbox: set aside unreadable ${file}: ${reason}`),
      }),
    );
    const feedback =
      uploader &&
      (await openFolder("uploadOutboxDir", config.uploadOutboxDir, () =>
        Feedback.open({
          dir: config.uploadOutboxDir,
          maxBytes: config.uploadMaxBytes,
          rule: uncertaintyRuleOf(config),
          uploader,
          log,
        }),
      ));
    return new EdgeApp(config, detector, outbox, transport, log, feedback);
  }

  /** Ends the loop after the image in flight; `run` then flushes and returns. */
  stop(): void {
    this.stopping = true;
    this.stopped.abort();
  }

  /** One line saying what this process will do. */
  summary(): string {
    const { config, detector, outbox, transport } = this;
    const { spec } = detector;
    const { scoreThreshold, iouThreshold } = detector.decodeOptions;
    return (
      `model ${spec.name} ${spec.version} (${spec.layout}, ${spec.input.width}x${spec.input.height}, ` +
      `classes ${spec.classes.join(",")}, score >= ${scoreThreshold}, iou ${iouThreshold}) · ` +
      `images ${config.imagesDir} every ${config.intervalSeconds} s · ${transport.name} → ${config.topic} · ` +
      `outbox ${outbox.length} queued · ${this.feedback?.summary() ?? "sending images back: off"}`
    );
  }

  /** Releases the model without running (for `--check`). */
  async close(): Promise<void> {
    await this.feedback?.stop();
    await this.detector.close();
  }

  async run(): Promise<number> {
    const { config, detector, outbox, transport, log } = this;
    // Each message goes to the topic it was stored with.
    const courier = new Courier<MqttMeta>(outbox, transport, (e) => transport.publish(e.meta.topic, e.payload), log);
    log.info(this.summary());
    transport.start();
    courier.start();
    this.feedback?.start();

    let exitCode: number;
    try {
      exitCode = await this.inspectLoop();
    } finally {
      const shutdownMs = config.shutdownTimeoutSeconds * 1000;
      const [drained, uploaded] = await Promise.all([
        courier.drained(shutdownMs),
        this.feedback?.drained(shutdownMs) ?? true,
      ]);
      if (!drained) {
        log.warn(`${outbox.length} messages still queued in ${config.outboxDir}; they are sent after the next start`);
      }
      if (!uploaded) {
        log.warn(
          `${this.feedback!.queued} images still queued for upload in ${config.uploadOutboxDir}; they are sent after the next start`,
        );
      }
      const courierStopped = courier.stop();
      await transport.stop();
      await courierStopped;
      await this.feedback?.stop();
      await detector.close();
    }
    return exitCode;
  }

  private async inspectLoop(): Promise<number> {
    const { config, log } = this;
    const folder = new ImageFolder(config.imagesDir);
    let reportedEmpty = false;
    while (!this.stopping) {
      let names: string[];
      try {
        names = await folder.list();
      } catch (error) {
        // A camera folder that went away (unmounted share, removed) is waited for, not fatal.
        log.error(`cannot list ${config.imagesDir}: ${(error as Error).message}`);
        if (config.once) return EXIT_FAILED;
        await this.wait(config.intervalSeconds * 1000);
        continue;
      }
      if (names.length === 0) {
        if (config.once) {
          log.error(`no images in ${config.imagesDir}`);
          return EXIT_FAILED;
        }
        if (!reportedEmpty)
          log.warn(`no images in ${config.imagesDir}; looking again every ${config.intervalSeconds} s`);
        reportedEmpty = true;
        await this.wait(config.intervalSeconds * 1000);
        continue;
      }
      reportedEmpty = false;
      for (const [i, name] of names.entries()) {
        if (this.stopping) break;
        const started = performance.now();
        await this.inspect(name);
        if (config.once && i === names.length - 1) break;
        await this.wait(config.intervalSeconds * 1000 - (performance.now() - started));
      }
      if (config.once) break;
    }
    return EXIT_OK;
  }

  private async inspect(name: string): Promise<void> {
    const { config, detector, log } = this;
    const context = { thingName: config.thingName };
    let bytes: Buffer;
    try {
      bytes = await fs.readFile(path.join(config.imagesDir, name));
    } catch (error) {
      return this.report("IMAGE_UNREADABLE", `cannot read ${name}: ${(error as Error).message}`, name);
    }
    let inspection;
    try {
      inspection = await detector.inspect(bytes);
    } catch (error) {
      const code = error instanceof ImageDecodeError ? error.code : "INFERENCE_FAILED";
      return this.report(code, `${name}: ${(error as Error).message}`, name);
    }
    const result = resultMessage(name, inspection, detector.spec, context);
    if (this.feedback) {
      // Decided (and the image stored) before the result is queued, so the result can say so.
      const { sent, drop } = await this.feedback.consider(bytes, result);
      result.sentForLabeling = sent;
      if (drop) await this.drops.record("upload-outbox", drop, this.feedback.dropped, config.uploadMaxBytes);
    }
    if (await this.enqueue(result, config.topic)) log.info(summaryLine(result, this.outbox.length));
  }

  /** Logs a problem and queues it for `<topic>/errors`. */
  private async report(code: InferenceErrorCode, text: string, imageName?: string): Promise<void> {
    this.log.error(`${code}: ${text}`);
    await this.enqueue(errorMessage(code, text, { thingName: this.config.thingName }, { imageName }), this.errorTopic);
  }

  /** Stores a message for delivery; says so when the outbox had to drop old ones to make room. */
  private async enqueue(message: object, topic: string): Promise<boolean> {
    let drop;
    try {
      ({ drop } = await this.outbox.append(Buffer.from(JSON.stringify(message)), { topic }));
    } catch (error) {
      this.log.error(`cannot store a message in the outbox ${this.config.outboxDir}: ${(error as Error).message}`);
      return false;
    }
    // The notice replaces the pending one beside the queue: it never takes a result's place.
    if (drop) await this.drops.record("outbox", drop, this.outbox.dropped, this.config.outboxMaxBytes);
    return true;
  }

  private async wait(ms: number): Promise<void> {
    if (ms <= 0 || this.stopping) return;
    await sleep(ms, undefined, { signal: this.stopped.signal }).catch(() => undefined);
  }
}
