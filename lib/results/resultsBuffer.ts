import { gzipSync } from "node:zlib";
import type { InferenceError, InferenceResult } from "../../contracts/inferenceMessages";
import {
  inspectionRow,
  RESULT_FILE_EXTENSION,
  ResultKind,
  resultsPartitionPrefix,
} from "../../contracts/resultsLayout";
import type { ObjectStore } from "../ports";

/**
 * What Firehose does for the stack, done in-process for the offline run: messages are buffered per partition and
 * written, on `flush`, as one gzip-compressed JSON lines object per partition under the results layout.
 */
export class ResultsBuffer {
  private readonly pending = new Map<string, { kind: ResultKind; lines: string[] }>();
  private sequence = 0;
  /** Messages written so far, by kind. */
  readonly stored: Record<ResultKind, number> = { inspections: 0, errors: 0 };

  constructor(
    private readonly store: ObjectStore,
    /** Names the objects' writer, like a Firehose stream's name starts its objects. */
    private readonly writer = "offline",
  ) {}

  addResult(message: InferenceResult): void {
    this.add("inspections", resultsPartitionPrefix("inspections", message), JSON.stringify(inspectionRow(message)));
  }

  addError(message: InferenceError): void {
    this.add("errors", resultsPartitionPrefix("errors", message), JSON.stringify(message));
  }

  private add(kind: ResultKind, partition: string, line: string): void {
    const entry = this.pending.get(partition) ?? { kind, lines: [] };
    entry.lines.push(line);
    this.pending.set(partition, entry);
  }

  /** Writes every partition's buffered lines as one object each; returns the keys written. */
  async flush(now = new Date()): Promise<string[]> {
    const stamp = now.toISOString().replace(/[:.]/g, "-");
    const keys: string[] = [];
    // Taken before the first write, so a flush that starts meanwhile writes only what arrives after.
    const batch = [...this.pending];
    this.pending.clear();
    for (const [partition, { kind, lines }] of batch) {
      const key = `${partition}${this.writer}-${stamp}-${++this.sequence}${RESULT_FILE_EXTENSION}`;
      await this.store.write(key, gzipSync(`${lines.join("\n")}\n`), "application/gzip");
      this.stored[kind] += lines.length;
      keys.push(key);
    }
    return keys;
  }
}
