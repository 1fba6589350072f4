import { setTimeout as sleep } from "node:timers/promises";
import { errorTopicOf, FrameFacts, InferenceErrorCode } from "../../contracts/inferenceMessages";
import { Backoff } from "./backoff";
import { EdgeConfig, EdgeConfigError, EdgeConfigField, flagNameOf } from "./config";
import { Courier } from "./courier";
import { Detector } from "./detector";
import { DropNotices } from "./dropNotices";
import { createUploader, Feedback, uncertaintyRuleOf } from "./feedback";
import { ImageDecodeError } from "./image";
import { Log } from "./log";
import { errorMessage, resultMessage, summaryLine } from "./messages";
import { Outbox } from "./outbox";
import { RepeatedProblem } from "./repeatedProblem";
import { createSource } from "./sources";
import { Frame, ImageSource, isFrame, Pull } from "./sources/source";
import { captureFor, Trigger, TriggerQueue } from "./sources/trigger";
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

/** Pauses while a source has nothing (growing to IDLE_MAX_MS) or fails (growing to FAILING_MAX_MS). */
const IDLE_MIN_MS = 250;
const IDLE_MAX_MS = 2_000;
const FAILING_MIN_MS = 1_000;
const FAILING_MAX_MS = 30_000;
const idleEvery = (intervalMs: number) =>
  intervalMs >= IDLE_MAX_MS ? `${intervalMs / 1000} s` : `${IDLE_MIN_MS / 1000} to ${IDLE_MAX_MS / 1000} s`;

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
    readonly config: EdgeConfig,
    readonly detector: Detector,
    private readonly outbox: Outbox<MqttMeta>,
    private readonly transport: Transport,
    private readonly log: Log,
    private readonly source: ImageSource,
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
    return new EdgeApp(config, detector, outbox, transport, log, createSource(config, log), feedback);
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
      `images ${this.source.description} every ${config.intervalSeconds} s` +
      `${config.triggerTopic ? ` when triggered on ${config.triggerTopic}` : ""} · ${transport.name} → ${config.topic} · ` +
      `outbox ${outbox.length} queued · ${this.feedback?.summary() ?? "sending images back: off"}`
    );
  }

  /** What keeps the image source from working here (for `--check`); undefined when nothing does. */
  sourceProblem(): string | undefined {
    return this.source.check?.();
  }

  /** Releases the model without running (for `--check`). */
  async close(): Promise<void> {
    await this.source.close();
    await this.feedback?.stop();
    await this.detector.close();
  }

  async run(): Promise<number> {
    const { config, detector, outbox, transport, log } = this;
    // Each message goes to the topic it was stored with.
    const courier = new Courier<MqttMeta>(outbox, transport, (e) => transport.publish(e.meta.topic, e.payload), log);
    log.info(this.summary());
    const triggers = config.triggerTopic ? new TriggerQueue(transport, config.triggerTopic, log) : undefined;
    transport.start();
    courier.start();
    this.feedback?.start();

    let exitCode: number;
    try {
      exitCode = triggers ? await this.triggeredLoop(triggers) : await this.inspectLoop();
    } finally {
      await this.source.close();
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

  /**
   * Inspects frames as the source delivers them, at most one per interval. Nothing to inspect (an empty folder) and a
   * failing source (a folder that went away, a camera that is down) are waited for with growing pauses and logged
   * once until they change or clear — never a busy loop, never a line per attempt.
   */
  private async inspectLoop(): Promise<number> {
    const { config, log, source } = this;
    const intervalMs = config.intervalSeconds * 1000;
    const idle = new Backoff(IDLE_MIN_MS, IDLE_MAX_MS, intervalMs);
    const failing = new Backoff(FAILING_MIN_MS, FAILING_MAX_MS, intervalMs);
    const failure = new RepeatedProblem(log, "error");
    const nothing = new RepeatedProblem(log, "warn");
    while (!this.stopping) {
      const started = performance.now();
      let pull: Pull;
      try {
        pull = await source.next(this.stopped.signal);
      } catch (error) {
        if (this.stopping) break;
        failure.report((error as Error).message);
        if (config.once) return EXIT_FAILED;
        await this.wait(failing.next());
        continue;
      }
      failure.clear(`${source.kind} delivers again`);
      failing.reset();
      if (pull === "end") break;
      if (!isFrame(pull)) {
        if (config.once) {
          log.error(pull.idle);
          return EXIT_FAILED;
        }
        nothing.report(`${pull.idle}; looking again every ${idleEvery(intervalMs)}`);
        await this.wait(idle.next());
        continue;
      }
      nothing.clear(`${source.kind} has images again`);
      idle.reset();
      await this.inspect(pull);
      if (source.ended) break;
      await this.wait(intervalMs - (performance.now() - started));
    }
    return EXIT_OK;
  }

  /** Triggered capture: one frame per trigger, the result naming the part; no frame in time is a NO_FRAME error. */
  private async triggeredLoop(triggers: TriggerQueue): Promise<number> {
    const { config, source } = this;
    while (!this.stopping) {
      const trigger = await triggers.next(this.stopped.signal);
      if (!trigger) break;
      const captured = await captureFor(source, trigger, config.triggerTimeoutSeconds * 1000, this.stopped.signal);
      if (this.stopping && typeof captured === "string") break;
      if (typeof captured === "string") {
        await this.report("NO_FRAME", captured, undefined, { partId: trigger.partId, source: source.kind });
        continue;
      }
      await this.inspect(captured, trigger);
    }
    return EXIT_OK;
  }

  private async inspect(frame: Frame, trigger?: Trigger): Promise<void> {
    const { config, detector, log, source } = this;
    const { name } = frame;
    const skipped = source.takeSkipped?.();
    const facts: FrameFacts = {
      source: source.kind,
      capturedAt: new Date(frame.capturedAt).toISOString(),
      partId: trigger?.partId,
      line: trigger?.line,
      station: trigger?.station,
      framesSkipped: skipped,
    };
    const context = { thingName: config.thingName, messageId: frame.messageId, frame: facts };
    const errorFacts = { partId: trigger?.partId, source: source.kind };
    let bytes: Buffer;
    try {
      bytes = await frame.read();
    } catch (error) {
      await this.report("IMAGE_UNREADABLE", `cannot read ${name}: ${(error as Error).message}`, name, errorFacts);
      return frame.settle?.("failed");
    }
    let inspection;
    try {
      inspection = await detector.inspect(bytes);
    } catch (error) {
      const code = error instanceof ImageDecodeError ? error.code : "INFERENCE_FAILED";
      await this.report(code, `${name}: ${(error as Error).message}`, name, errorFacts);
      return frame.settle?.("failed");
    }
    const result = resultMessage(name, inspection, detector.spec, context);
    if (this.feedback) {
      // Decided (and the image stored) before the result is queued, so the result can say so. A stream frame's bytes
      // are the JPEG ffmpeg encoded once; they are stored as they are.
      const { sent, drop } = await this.feedback.consider(bytes, result);
      result.sentForLabeling = sent;
      if (drop) await this.drops.record("upload-outbox", drop, this.feedback.dropped, config.uploadMaxBytes);
    }
    const queued = await this.enqueue(result, config.topic);
    if (queued) log.info(summaryLine(result, this.outbox.length));
    // A file stays where it is when its result could not be stored, so the next start inspects it.
    if (queued) await frame.settle?.("inspected");
  }

  /** Logs a problem and queues it for `<topic>/errors`. */
  private async report(code: InferenceErrorCode, text: string, imageName?: string, frame?: FrameFacts): Promise<void> {
    this.log.error(`${code}: ${text}`);
    const context = { thingName: this.config.thingName, frame };
    await this.enqueue(errorMessage(code, text, context, { imageName }), this.errorTopic);
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
