import { createServer, IncomingMessage, Server, ServerResponse } from "node:http";
import { AddressInfo } from "node:net";

/** An AWS JSON-protocol error the fake answers with, as the service would. */
export interface FakeError {
  type: string;
  message: string;
  status?: number;
}

export type Handler = (body: Record<string, unknown>) => unknown;

/**
 * A local HTTP server speaking an AWS JSON protocol (`X-Amz-Target: <prefix>.<Action>`), so tests run the real SDK:
 * serialisation, retries, pagination and error parsing. Subclasses provide the actions; errors can be injected for
 * the next calls of an action.
 */
export abstract class AwsJsonFake {
  readonly calls: { action: string; body: Record<string, unknown> }[] = [];
  /** Errors to answer the next calls of an action with, in order. */
  readonly failures = new Map<string, FakeError[]>();
  private server?: Server;

  protected abstract readonly handlers: Record<string, Handler>;

  constructor(
    private readonly targetPrefix: string,
    private readonly contentType: string,
    /** How the service spells an error's `__type` (some prefix it with a namespace). */
    private readonly errorType: (type: string) => string = (type) => type,
  ) {}

  get endpoint(): string {
    const { port } = this.server!.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.server?.close(resolve));
  }

  failNext(action: string, ...errors: FakeError[]): void {
    this.failures.set(action, [...(this.failures.get(action) ?? []), ...errors]);
  }

  /** An error to answer this call with instead of handling it (beyond injected failures); none by default. */
  protected refusalFor(_action: string, _body: Record<string, unknown>): FakeError | undefined {
    return undefined;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const action = String(req.headers["x-amz-target"] ?? "").replace(`${this.targetPrefix}.`, "");
    const body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") as Record<string, unknown>;
    this.calls.push({ action, body });
    const send = (status: number, payload: unknown) => {
      res.writeHead(status, { "content-type": this.contentType });
      res.end(JSON.stringify(payload));
    };
    try {
      const refusal = this.failures.get(action)?.shift() ?? this.refusalFor(action, body);
      if (refusal) throw refusal;
      const handler = this.handlers[action];
      if (!handler) throw { type: "UnknownOperationException", message: `fake does not implement ${action}` };
      send(200, handler(body));
    } catch (error) {
      const { type, message, status = 400 } = error as FakeError;
      send(status, { __type: this.errorType(type), message });
    }
  }
}
