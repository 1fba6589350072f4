import {
  errorTopicOf,
  InferenceError,
  inferenceErrorProblems,
  InferenceResult,
  inferenceResultProblems,
} from "../contracts/inferenceMessages";
import type { ResultsBuffer } from "../lib/results/resultsBuffer";
import type { BrokerMessage, EmbeddedBroker } from "./broker";

export interface ReceivedResult {
  receivedAt: number;
  modelVersion: string;
  imageName: string;
  detections: number;
}

export interface EdgeStats {
  results: number;
  detections: number;
  /** Results with at least one detection. */
  withDetections: number;
  errors: number;
  /** Messages that broke the payload schema, with the first problems. */
  invalid: { topic: string; problems: string[] }[];
}

/**
 * What the fleet sends, as an IoT rule or a viewer would see it: every message on the result topic and its error
 * topic, validated against the payload schemas (contracts/), repeats dropped by messageId (delivery is at least once).
 * With a results buffer, every accepted message is also stored under the data lake's results/ layout, as the stack's
 * IoT rules and Firehose do.
 */
export class EdgeResults {
  readonly results: ReceivedResult[] = [];
  readonly invalid: EdgeStats["invalid"] = [];
  errors = 0;
  private readonly seen = new Set<string>();
  private readonly stop: () => void;

  constructor(
    broker: EmbeddedBroker,
    private readonly topic: string,
    private readonly store?: ResultsBuffer,
  ) {
    this.stop = broker.onMessage((message) => this.receive(message));
  }

  private receive(message: BrokerMessage): void {
    const errorTopic = errorTopicOf(this.topic);
    if (message.topic !== this.topic && message.topic !== errorTopic) return;
    let body: unknown;
    try {
      body = JSON.parse(message.payload.toString("utf8"));
    } catch {
      this.invalid.push({ topic: message.topic, problems: ["the payload is not JSON"] });
      return;
    }
    const problems = message.topic === this.topic ? inferenceResultProblems(body) : inferenceErrorProblems(body);
    if (problems.length > 0) {
      this.invalid.push({ topic: message.topic, problems: problems.slice(0, 3) });
      return;
    }
    const id = (body as { messageId: string }).messageId;
    if (this.seen.has(id)) return;
    this.seen.add(id);
    if (message.topic === errorTopic) {
      this.errors += 1;
      this.store?.addError(body as InferenceError);
      return;
    }
    const result = body as InferenceResult;
    this.store?.addResult(result);
    this.results.push({
      receivedAt: message.receivedAt,
      modelVersion: result.modelVersion,
      imageName: result.image_name,
      detections: result.inference_results[0][0].length,
    });
  }

  /** Counts over the results received in [from, to) (all of them by default). */
  stats(from = 0, to = Infinity): EdgeStats {
    const window = this.results.filter((r) => r.receivedAt >= from && r.receivedAt < to);
    return {
      results: window.length,
      detections: window.reduce((sum, r) => sum + r.detections, 0),
      withDetections: window.filter((r) => r.detections > 0).length,
      errors: this.errors,
      invalid: this.invalid,
    };
  }

  close(): void {
    this.stop();
  }
}
