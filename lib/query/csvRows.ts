/**
 * An incremental RFC 4180 reader for the CSV files Athena writes: a header row, every non-null value double-quoted
 * with its quotes doubled, a NULL as an empty unquoted field, and quoted values that may hold commas and newlines.
 * It holds only the record being read, so a result file of any size streams through in bounded memory.
 */
export type CsvRecord = (string | null)[];

/** A result file that is not the CSV it should be: where it went wrong (1-based record, the header is record 1). */
export class MalformedCsvError extends Error {
  override name = "MalformedCsvError";
}

type State = "fieldStart" | "unquoted" | "quoted" | "quoteInQuoted" | "afterCR";

/** The reader's state between chunks: a record, or a value, may be split anywhere. */
class CsvReader {
  private state: State = "fieldStart";
  private record: CsvRecord = [];
  private field = "";
  private width: number | undefined;
  private recordNumber = 1;
  private done: CsvRecord[] = [];

  /** Reads one piece of text; returns the records it completed. */
  feed(text: string): CsvRecord[] {
    let i = 0;
    while (i < text.length) i = this.step(text, i);
    const done = this.done;
    this.done = [];
    return done;
  }

  /** The end of the file: the last record (a final newline is optional); throws if a quoted value is left open. */
  end(): CsvRecord[] {
    if (this.state === "quoted") {
      throw new MalformedCsvError(`the file ends inside a quoted value in record ${this.recordNumber} (truncated?)`);
    }
    if (this.state === "unquoted" || this.state === "quoteInQuoted") this.endField(this.field);
    // After a comma the record holds cells, and the empty last field is a NULL.
    else if (this.state === "fieldStart" && this.record.length > 0) this.endField(null);
    if (this.record.length > 0) this.endRecord();
    return this.done;
  }

  /** Consumes text from `i` in the current state; returns where to go on. */
  private step(text: string, i: number): number {
    const c = text[i];
    switch (this.state) {
      case "fieldStart":
        if (c === '"') {
          this.state = "quoted";
          this.field = "";
        } else if (c === "," || c === "\n" || c === "\r") {
          this.endField(null);
          this.afterField(c);
        } else {
          this.state = "unquoted";
          this.field = "";
          return i; // the same character starts the unquoted value
        }
        return i + 1;
      case "unquoted": {
        let j = i;
        while (j < text.length && !',\n\r"'.includes(text[j])) j++;
        this.field += text.slice(i, j);
        if (j === text.length) return j;
        if (text[j] === '"') throw this.strayQuote();
        this.endField(this.field);
        this.afterField(text[j]);
        return j + 1;
      }
      case "quoted": {
        const close = text.indexOf('"', i);
        if (close < 0) {
          this.field += text.slice(i);
          return text.length;
        }
        this.field += text.slice(i, close);
        this.state = "quoteInQuoted";
        return close + 1;
      }
      case "quoteInQuoted":
        if (c === '"') {
          this.field += '"';
          this.state = "quoted";
        } else if (c === "," || c === "\n" || c === "\r") {
          this.endField(this.field);
          this.afterField(c);
        } else throw this.strayQuote();
        return i + 1;
      case "afterCR":
        this.state = "fieldStart";
        return c === "\n" ? i + 1 : i;
    }
  }

  private strayQuote() {
    return new MalformedCsvError(`a stray quote in record ${this.recordNumber} (cell ${this.record.length + 1})`);
  }

  private endField(value: string | null) {
    this.record.push(value);
    this.field = "";
  }

  /** After a field ends on `separator`: the next field, or the end of the record. */
  private afterField(separator: string) {
    this.state = separator === "\r" ? "afterCR" : "fieldStart";
    if (separator !== ",") this.endRecord();
  }

  private endRecord() {
    this.width ??= this.record.length;
    if (this.record.length !== this.width) {
      throw new MalformedCsvError(
        `record ${this.recordNumber} has ${this.record.length} cells where the header has ${this.width}`,
      );
    }
    this.done.push(this.record);
    this.record = [];
    this.recordNumber++;
  }
}

/**
 * The records of a CSV file read chunk by chunk (bytes are UTF-8; a character may be split between chunks), the
 * header first. Every record has as many cells as the header, or it throws `MalformedCsvError`; an empty file has no
 * records.
 */
export async function* csvRows(chunks: AsyncIterable<Uint8Array | string>): AsyncIterable<CsvRecord> {
  const reader = new CsvReader();
  const decoder = new TextDecoder("utf-8", { fatal: true });
  const decode = (chunk?: Uint8Array) => {
    try {
      return decoder.decode(chunk, { stream: chunk !== undefined });
    } catch {
      throw new MalformedCsvError("the file is not UTF-8 text");
    }
  };
  for await (const chunk of chunks) yield* reader.feed(typeof chunk === "string" ? chunk : decode(chunk));
  yield* reader.feed(decode());
  yield* reader.end();
}
