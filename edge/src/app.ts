import { promises as fs } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { errorTopicOf, InferenceErrorCode } from "../../contracts/inferenceMessages";
import { ImageFolder } from "./camera";
import { EdgeConfig } from "./config";
import { Courier } from "./courier";
import { Detector } from "./detector";
import { createUploader, Feedback, uncertaintyRuleOf } from "./feedback";
import { ImageDecodeError } from "./image";
import { Log } from "./log";
import { errorMessage, resultMessage, summaryLine } from "./messages";
import { Outbox } from "./outbox";
import { GreengrassIpcTransport } from "./transports/greengrassIpc";
import { MqttTransport } from "./transports/mqtt";
import { Transport } from "./transports/transport";
import { ImageUploader } from "./uploaders";

/** What the outbox keeps next to each MQTT payload. */
type MqttMeta = { topic: string };

export function createTransport(config: EdgeConfig, log: Log): Transport {
  if (config.transport === "greengrass-ipc") {
    return new GreengrassIpcTransport({ ackTimeoutSeconds: config.ackTimeoutSeconds, log });
  }
  return new MqttTransport({
    broker: config.broker,
    clientId: config.clientId,
    cert: config.cert,
    key: config.key,
    ca: config.ca,
    ackTimeoutSeconds: config.ackTimeoutSeconds,
    protocol: config.mqttVersion,
    log,
  });
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

  private constructor(
    readonly config: EdgeConfig,
    readonly detector: Detector,
    private readonly outbox: Outbox<MqttMeta>,
    private readonly transport: Transport,
    private readonly log: Log,
    /** Sends uncertain images back for labeling; undefined when uploads are off. */
    private readonly feedback?: Feedback,
  ) {
    this.errorTopic = errorTopicOf(config.topic);
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
      bare: {
        layout: config.layout,
        inputWidth: config.inputSize?.width,
        inputHeight: config.inputSize?.height,
        classes: config.classes,
        padValue: config.padValue,
      },
      log,
    });
    const outbox = await Outbox.open<MqttMeta>(config.outboxDir, {
      maxBytes: config.outboxMaxBytes,
      onCorrupt: (file, reason) => log.warn(`outbox: set aside unreadable ${file}: ${reason}`),
    });
    const feedback =
      uploader &&
      (await Feedback.open({
        dir: config.uploadOutboxDir,
        maxBytes: config.uploadMaxBytes,
        rule: uncertaintyRuleOf(config),
        uploader,
        log,
      }));
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
      const code = error instanceof ImageDecodeError ? "IMAGE_UNREADABLE" : "INFERENCE_FAILED";
      return this.report(code, `${name}: ${(error as Error).message}`, name);
    }
    const result = resultMessage(name, inspection, detector.spec, context);
    if (this.feedback) {
      // Decided (and the image stored) before the result is queued, so the result can say so.
      const { sent, dropped } = await this.feedback.consider(bytes, result);
      result.sentForLabeling = sent;
      if (dropped > 0) await this.reportDroppedUploads(dropped);
    }
    if (await this.enqueue(result, config.topic)) log.info(summaryLine(result, this.outbox.length));
  }

  /** The upload outbox dropped its oldest images to make room: says so, like the result outbox does. */
  private async reportDroppedUploads(dropped: number): Promise<void> {
    const total = this.feedback!.dropped;
    const text = `upload outbox full (${this.config.uploadMaxBytes} bytes): dropped the ${dropped} oldest images waiting for upload, ${total} in all`;
    await this.enqueue(this.droppedNotice(text, total), this.errorTopic);
  }

  /** Warns that an outbox dropped messages and returns the `OUTBOX_DROPPED` notice for `<topic>/errors`. */
  private droppedNotice(text: string, droppedTotal: number): object {
    this.log.warn(text);
    return errorMessage("OUTBOX_DROPPED", text, { thingName: this.config.thingName }, { droppedTotal });
  }

  /** Logs a problem and queues it for `<topic>/errors`. */
  private async report(code: InferenceErrorCode, text: string, imageName?: string): Promise<void> {
    this.log.error(`${code}: ${text}`);
    await this.enqueue(errorMessage(code, text, { thingName: this.config.thingName }, { imageName }), this.errorTopic);
  }

  /** Stores a message for delivery; says so when the outbox had to drop old ones to make room. */
  private async enqueue(message: object, topic: string): Promise<boolean> {
    let dropped: number;
    try {
      ({ dropped } = await this.outbox.append(Buffer.from(JSON.stringify(message)), { topic }));
    } catch (error) {
      this.log.error(`cannot store a message in the outbox ${this.config.outboxDir}: ${(error as Error).message}`);
      return false;
    }
    if (dropped > 0) {
      const text = `outbox full (${this.config.outboxMaxBytes} bytes): dropped the ${dropped} oldest messages, ${this.outbox.dropped} in all`;
      const notice = this.droppedNotice(text, this.outbox.dropped);
      // Straight into the outbox, not through enqueue: the notice must not report a drop of its own.
      await this.outbox.append(Buffer.from(JSON.stringify(notice)), { topic: this.errorTopic }).catch(() => undefined);
    }
    return true;
  }

  private async wait(ms: number): Promise<void> {
    if (ms <= 0 || this.stopping) return;
    await sleep(ms, undefined, { signal: this.stopped.signal }).catch(() => undefined);
  }
}
