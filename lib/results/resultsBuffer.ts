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
  /** The writes of earlier flushes: each flush writes after them, so `await flush()` means all is written. */
  private writing: Promise<unknown> = Promise.resolve();
  /** Messages taken so far, by kind: each is written by the first flush that starts after it was added. */
  readonly added: Record<ResultKind, number> = { inspections: 0, errors: 0 };

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
    this.added[kind] += 1;
  }

  /**
   * Writes every partition's buffered lines as one object each, after the writes of earlier flushes; resolves with
   * the keys written once everything added before the call is written. The batch is taken at the call, so what is
   * added meanwhile waits for the next flush.
   */
  flush(now = new Date()): Promise<string[]> {
    const stamp = now.toISOString().replace(/[:.]/g, "-");
    const batch = [...this.pending].map(([partition, { lines }]) => ({
      key: `${partition}${this.writer}-${stamp}-${++this.sequence}${RESULT_FILE_EXTENSION}`,
      body: gzipSync(`${lines.join("\n")}\n`),
    }));
    this.pending.clear();
    const written = this.writing.then(async () => {
      for (const { key, body } of batch) await this.store.write(key, body, "application/gzip");
      return batch.map(({ key }) => key);
    });
    // A failed write fails its own flush; later flushes still write theirs.
    this.writing = written.catch(() => undefined);
    return written;
  }
}
