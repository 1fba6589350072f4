import { appendFile, mkdir, readFile } from "node:fs/promises";
import * as path from "node:path";
import { LabelRecord, labelRecordSchema } from "../contracts/labelRecord";
import type { LabelLookup, LabelStore } from "../lib/ports";

/**
 * The label store as a JSON-lines file: one label record (contracts/labelRecord.ts) per line, appended on every put.
 * Like the Feature Store online store it answers with the newest record of each image: the highest `event_time`, and
 * of equal ones the last written. A line that breaks the record contract makes its image "invalid", as a bad stored
 * record does in Feature Store, so the pipeline labels that image again.
 */
export class FileLabelStore implements LabelStore {
  /** Loaded once; concurrent first calls share the one load. */
  private records?: Promise<Map<string, LabelRecord>>;
  private invalid = new Map<string, string>();
  /** Appends run one after another, so concurrent puts never interleave within a line. */
  private appending: Promise<void> = Promise.resolve();

  constructor(readonly file: string) {}

  private load(): Promise<Map<string, LabelRecord>> {
    this.records ??= this.read();
    return this.records;
  }

  private async read(): Promise<Map<string, LabelRecord>> {
    const records = new Map<string, LabelRecord>();
    let text = "";
    try {
      text = await readFile(this.file, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
    text.split("\n").forEach((line, i) => {
      if (line.trim() === "") return;
      let json: unknown;
      try {
        json = JSON.parse(line);
      } catch {
        return;
      }
      const parsed = labelRecordSchema.safeParse(json);
      const id = (json as { image_id?: unknown } | null)?.image_id;
      if (!parsed.success) {
        if (typeof id === "string") {
          const problems = parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
          this.invalid.set(id, `${path.basename(this.file)} line ${i + 1}: ${problems.join("; ")}`);
        }
        return;
      }
      this.keep(records, parsed.data);
    });
    return records;
  }

  private keep(records: Map<string, LabelRecord>, record: LabelRecord): void {
    const current = records.get(record.image_id);
    if (current && current.event_time > record.event_time) return;
    records.set(record.image_id, record);
    this.invalid.delete(record.image_id);
  }

  async get(imageIds: readonly string[]): Promise<LabelLookup> {
    const records = await this.load();
    const lookup: LabelLookup = { found: new Map(), invalid: new Map() };
    for (const id of imageIds) {
      const record = records.get(id);
      if (record) lookup.found.set(id, record);
      else if (this.invalid.has(id)) lookup.invalid.set(id, this.invalid.get(id)!);
    }
    return lookup;
  }

  async put(record: LabelRecord): Promise<void> {
    const valid = labelRecordSchema.parse(record);
    const records = await this.load();
    const line = `${JSON.stringify(valid)}\n`;
    const written = this.appending.then(async () => {
      await mkdir(path.dirname(this.file), { recursive: true });
      await appendFile(this.file, line);
    });
    this.appending = written.catch(() => undefined);
    await written;
    this.keep(records, valid);
  }

  /** Every current record, for the summary and for tests. */
  async all(): Promise<LabelRecord[]> {
    return [...(await this.load()).values()];
  }
}
