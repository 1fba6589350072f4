import { basicAuthorization, Credentials, digestAuthorization, digestChallenge } from "./cameraAuth";
import { cameraFrameName, Frame, ImageSource, Pull, SourceProblem } from "./source";

/** A snapshot larger than this is refused: a camera sends a few MB at most; anything else is not a snapshot. */
export const MAX_SNAPSHOT_BYTES = 64 * 1024 * 1024;

export interface HttpSnapshotOptions {
  url: URL;
  timeoutMs: number;
  credentials?: Credentials;
}

/**
 * `http-snapshot`: GETs one JPEG from the camera per frame (most IP cameras have such a URL). Basic authentication is
 * sent when the camera asks for it, digest authentication answers the camera's challenge (its nonce reused with a
 * growing count until the camera asks again). A request that takes longer than the timeout fails; the loop backs
 * off and reports a camera that is down once, not per frame.
 */
export class HttpSnapshotSource implements ImageSource {
  readonly kind = "http-snapshot";
  private digest?: { challenge: Record<string, string>; count: number };
  private basic = false;

  constructor(private readonly options: HttpSnapshotOptions) {}

  get description(): string {
    const auth = this.options.credentials ? ", with credentials" : "";
    return `http-snapshot ${this.options.url.href} (timeout ${this.options.timeoutMs / 1000} s${auth})`;
  }

  async next(signal: AbortSignal): Promise<Pull> {
    const { url, timeoutMs } = this.options;
    const timed = AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]);
    try {
      let response = await this.get(timed);
      if (response.status === 401 && this.answerChallenge(response)) {
        await response.body?.cancel();
        response = await this.get(timed);
      }
      if (response.status !== 200) {
        await response.body?.cancel();
        throw new SourceProblem(`camera ${url.href} answered HTTP ${response.status} ${response.statusText}`.trim());
      }
      const capturedAt = Date.now();
      const bytes = await readLimited(response, MAX_SNAPSHOT_BYTES);
      if (bytes.length === 0) throw new SourceProblem(`camera ${url.href} sent an empty snapshot`);
      return snapshotFrame(capturedAt, bytes);
    } catch (error) {
      if (error instanceof SourceProblem) throw error;
      const reason = timed.aborted && !signal.aborted ? `no answer within ${timeoutMs / 1000} s` : causeOf(error);
      throw new SourceProblem(`camera ${url.href} is unreachable: ${reason}`);
    }
  }

  /** A kept-alive connection the camera closed meanwhile fails at once: that is asked again on a new one, once. */
  private async get(signal: AbortSignal): Promise<Response> {
    try {
      return await this.getOnce(signal);
    } catch (error) {
      if (causeCode(error) !== "UND_ERR_SOCKET" || signal.aborted) throw error;
      return this.getOnce(signal);
    }
  }

  private getOnce(signal: AbortSignal): Promise<Response> {
    const { url, credentials } = this.options;
    const headers: Record<string, string> = {};
    if (credentials && this.digest) {
      this.digest.count += 1;
      const uri = `${url.pathname}${url.search}`;
      headers.authorization = digestAuthorization(credentials, this.digest.challenge, "GET", uri, this.digest.count);
    } else if (credentials && this.basic) {
      headers.authorization = basicAuthorization(credentials);
    }
    return fetch(url, { headers, signal, redirect: "error" });
  }

  /** Learns how the camera wants to be asked; false when there is nothing (new) to try. */
  private answerChallenge(response: Response): boolean {
    if (!this.options.credentials) return false;
    const header = response.headers.get("www-authenticate");
    const challenge = digestChallenge(header);
    if (challenge) {
      const stale = this.digest && this.digest.challenge.nonce !== challenge.nonce;
      if (this.digest && !stale) return false;
      this.digest = { challenge, count: 0 };
      return true;
    }
    if (/^basic\b/i.test(header ?? "") && !this.basic) {
      this.basic = true;
      return true;
    }
    return false;
  }

  async close(): Promise<void> {}
}

function snapshotFrame(capturedAt: number, bytes: Buffer): Frame {
  return { name: cameraFrameName("http-snapshot", capturedAt), capturedAt, read: async () => bytes };
}

async function readLimited(response: Response, limit: number): Promise<Buffer> {
  const declared = Number(response.headers.get("content-length") ?? 0);
  if (declared > limit) {
    await response.body?.cancel();
    throw new SourceProblem(`the camera's snapshot is ${declared} bytes, more than ${limit}`);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of response.body ?? []) {
    total += chunk.length;
    if (total > limit) throw new SourceProblem(`the camera's snapshot is more than ${limit} bytes`);
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}

const causeCode = (error: unknown) => (error as { cause?: { code?: string } }).cause?.code;

/** fetch says "fetch failed"; the reason (ECONNREFUSED, ENOTFOUND) is in its cause. */
function causeOf(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}
