import http from "node:http";
import { eventually } from "./wait";

export interface ServerSentEvent {
  event: string;
  data: unknown;
}

/** A Server-Sent Events reader over node:http: collects every event of the stream at `url`. */
export class EventStream {
  readonly events: ServerSentEvent[] = [];
  private request?: http.ClientRequest;
  private buffer = "";

  static async open(url: string): Promise<EventStream> {
    const stream = new EventStream();
    await new Promise<void>((resolve, reject) => {
      stream.request = http.get(url, (response) => {
        if (response.statusCode !== 200) reject(new Error(`GET ${url}: ${response.statusCode}`));
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => stream.take(chunk));
        resolve();
      });
      stream.request.on("error", reject);
    });
    return stream;
  }

  private take(chunk: string): void {
    this.buffer += chunk;
    let end: number;
    while ((end = this.buffer.indexOf("\n\n")) !== -1) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      const fields = block.split("\n").filter((line) => !line.startsWith(":"));
      const event = fields.find((l) => l.startsWith("event: "))?.slice(7);
      const data = fields.find((l) => l.startsWith("data: "))?.slice(6);
      if (event && data !== undefined) this.events.push({ event, data: JSON.parse(data) });
    }
  }

  /** Waits for the first event of this kind that `match` accepts. */
  next<T>(event: string, match: (data: T) => boolean = () => true, timeoutMs = 20_000): Promise<T> {
    return eventually(
      () => this.events.find((e) => e.event === event && match(e.data as T))?.data as T | undefined,
      `a "${event}" event`,
      timeoutMs,
    );
  }

  close(): void {
    this.request?.destroy();
  }
}
