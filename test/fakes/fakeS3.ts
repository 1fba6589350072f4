import { createHash } from "node:crypto";
import { once } from "node:events";
import http from "node:http";
import { AddressInfo } from "node:net";
import { crc32 } from "node:zlib";

export interface StoredS3Object {
  bucket: string;
  key: string;
  body: Buffer;
  contentType?: string;
  /** `x-amz-meta-<name>` headers, by name. */
  metadata: Record<string, string>;
  /** From the request's SigV4 credential scope and security token header. */
  accessKeyId: string;
  sessionToken?: string;
}

export interface FakeS3Options {
  /** Refuse requests signed with another access key (403 InvalidAccessKeyId). */
  accessKeyId?: string;
  /** Refuse requests without this session token (403 InvalidToken). */
  sessionToken?: string;
}

/**
 * A local S3-compatible endpoint that speaks enough of S3's REST protocol for PutObject with path-style addressing:
 * `PUT /<bucket>/<key>` signed with SigV4, `x-amz-content-sha256` and `x-amz-checksum-crc32` checked against the body
 * as S3 checks them, `x-amz-meta-*` kept as user metadata, errors as S3's XML. It can be taken down (the port refuses
 * connections) and brought back on the same port, or made to answer with an error status.
 */
export class FakeS3 {
  /** Stored objects by `<bucket>/<key>`; a second PUT of a key overwrites it, as in S3. */
  readonly objects = new Map<string, StoredS3Object>();
  /** Every request answered: method, path and status. */
  readonly requests: { method: string; path: string; status: number }[] = [];
  /** While set, every request gets this status (e.g. 503 SlowDown) instead of being served. */
  failWith?: number;
  /** While true, requests are read but never answered (a stalled network); `stalled` counts them. */
  hang = false;
  stalled = 0;
  private readonly server: http.Server;
  private port = 0;

  private constructor(private readonly options: FakeS3Options) {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        if (this.hang) {
          this.stalled += 1;
          return;
        }
        const { status, headers, body } = this.handle(req, Buffer.concat(chunks));
        this.requests.push({ method: req.method ?? "", path: req.url ?? "", status });
        res.writeHead(status, headers).end(body);
      });
    });
  }

  static async start(options: FakeS3Options = {}): Promise<FakeS3> {
    const s3 = new FakeS3(options);
    await s3.up();
    return s3;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Starts listening, on the same port as before when there was one. */
  async up(): Promise<void> {
    this.server.listen(this.port, "127.0.0.1");
    await once(this.server, "listening");
    this.port = (this.server.address() as AddressInfo).port;
  }

  /** Stops listening and cuts open connections: clients get "connection refused" until `up`. */
  async down(): Promise<void> {
    const closed = once(this.server, "close");
    this.server.close();
    this.server.closeAllConnections();
    await closed;
  }

  async close(): Promise<void> {
    if (this.server.listening) await this.down();
  }

  object(bucket: string, key: string): StoredS3Object | undefined {
    return this.objects.get(`${bucket}/${key}`);
  }

  /** Waits until `done` holds for the stored objects. */
  async waitFor(done: (objects: StoredS3Object[]) => boolean, timeoutMs: number): Promise<StoredS3Object[]> {
    const deadline = Date.now() + timeoutMs;
    while (!done([...this.objects.values()])) {
      if (Date.now() > deadline) {
        throw new Error(
          `S3 has ${this.objects.size} objects after ${timeoutMs} ms: ${[...this.objects.keys()].join(", ")}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return [...this.objects.values()];
  }

  private handle(
    req: http.IncomingMessage,
    body: Buffer,
  ): { status: number; headers: http.OutgoingHttpHeaders; body?: string } {
    if (this.failWith) return error(this.failWith, "SlowDown", "Please reduce your request rate.");
    const url = new URL(req.url ?? "/", "http://s3.local");
    const [, bucket, ...keyParts] = url.pathname.split("/");
    const key = keyParts.map(decodeURIComponent).join("/");
    if (req.method !== "PUT" || !bucket || !key) {
      return error(
        405,
        "MethodNotAllowed",
        `only PutObject (PUT /<bucket>/<key>) is served, not ${req.method} ${url.pathname}`,
      );
    }
    const header = (name: string) => {
      const value = req.headers[name];
      return Array.isArray(value) ? value.join(",") : value;
    };

    const credential =
      /^AWS4-HMAC-SHA256 Credential=([^/]+)\/\d{8}\/[a-z0-9-]+\/s3\/aws4_request, SignedHeaders=([^,]+), Signature=[0-9a-f]{64}$/.exec(
        header("authorization") ?? "",
      );
    if (!credential) return error(403, "AccessDenied", "the request is not signed with AWS Signature Version 4");
    const [, accessKeyId, signedHeaders] = credential;
    if (this.options.accessKeyId && accessKeyId !== this.options.accessKeyId) {
      return error(403, "InvalidAccessKeyId", `unknown access key ${accessKeyId}`);
    }
    const sessionToken = header("x-amz-security-token");
    if (this.options.sessionToken && sessionToken !== this.options.sessionToken) {
      return error(403, "InvalidToken", "the session token is missing or wrong");
    }
    for (const name of Object.keys(req.headers).filter((h) => h.startsWith("x-amz-meta-"))) {
      if (!signedHeaders.split(";").includes(name)) return error(403, "AccessDenied", `${name} is not signed`);
    }

    if (Number(header("content-length")) !== body.length)
      return error(400, "IncompleteBody", "body shorter than Content-Length");
    const contentSha = header("x-amz-content-sha256");
    if (contentSha !== "UNSIGNED-PAYLOAD" && contentSha !== createHash("sha256").update(body).digest("hex")) {
      return error(400, "XAmzContentSHA256Mismatch", "the body does not match x-amz-content-sha256");
    }
    const checksum = header("x-amz-checksum-crc32");
    if (checksum !== undefined) {
      const expected = Buffer.alloc(4);
      expected.writeUInt32BE(crc32(body));
      if (checksum !== expected.toString("base64")) return error(400, "BadDigest", "CRC32 checksum mismatch");
    }

    const metadata = Object.fromEntries(
      Object.entries(req.headers)
        .filter(([name]) => name.startsWith("x-amz-meta-"))
        .map(([name, value]) => [name.slice("x-amz-meta-".length), String(value)]),
    );
    this.objects.set(`${bucket}/${key}`, {
      bucket,
      key,
      body,
      contentType: header("content-type"),
      metadata,
      accessKeyId,
      sessionToken,
    });
    const etag = `"${createHash("md5").update(body).digest("hex")}"`;
    return { status: 200, headers: { ETag: etag, ...(checksum ? { "x-amz-checksum-crc32": checksum } : {}) } };
  }
}

function error(status: number, code: string, message: string) {
  return {
    status,
    headers: { "Content-Type": "application/xml" },
    body: `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`,
  };
}

/**
 * The Greengrass token exchange service's local endpoint as components see it: `GET` with the component's token in
 * `Authorization`, answered with temporary credentials in the container-credentials format the AWS SDKs read.
 */
export class FakeTokenExchangeService {
  static readonly PATH = "/2016-11-01/credentialprovider/";
  readonly credentials = {
    accessKeyId: "ASIATOKENEXCHANGE001",
    secretAccessKey: "tes-secret",
    sessionToken: "tes-session-token",
  };
  /** Requests answered, with whether their token was right. */
  readonly requests: { authorized: boolean }[] = [];
  private readonly server: http.Server;

  private constructor(readonly authorizationToken: string) {
    this.server = http.createServer((req, res) => {
      const authorized =
        req.method === "GET" &&
        req.url === FakeTokenExchangeService.PATH &&
        req.headers.authorization === authorizationToken;
      this.requests.push({ authorized });
      if (!authorized) {
        res.writeHead(403).end();
        return;
      }
      res.writeHead(200, { "Content-Type": "application/json" }).end(
        JSON.stringify({
          AccessKeyId: this.credentials.accessKeyId,
          SecretAccessKey: this.credentials.secretAccessKey,
          Token: this.credentials.sessionToken,
          Expiration: new Date(Date.now() + 3_600_000).toISOString(),
        }),
      );
    });
  }

  static async start(authorizationToken: string): Promise<FakeTokenExchangeService> {
    const tes = new FakeTokenExchangeService(authorizationToken);
    tes.server.listen(0, "127.0.0.1");
    await once(tes.server, "listening");
    return tes;
  }

  /** What Greengrass sets for a component that depends on aws.greengrass.TokenExchangeService. */
  get env(): Record<string, string> {
    const { port } = this.server.address() as AddressInfo;
    return {
      AWS_CONTAINER_CREDENTIALS_FULL_URI: `http://127.0.0.1:${port}${FakeTokenExchangeService.PATH}`,
      AWS_CONTAINER_AUTHORIZATION_TOKEN: this.authorizationToken,
    };
  }

  async close(): Promise<void> {
    const closed = once(this.server, "close");
    this.server.close();
    this.server.closeAllConnections();
    await closed;
  }
}
