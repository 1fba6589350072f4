import { createHash } from "node:crypto";
import { once } from "node:events";
import { createServer, IncomingMessage, Server, ServerResponse } from "node:http";
import { AddressInfo } from "node:net";
import { expect } from "chai";
import { HttpSnapshotSource } from "../../../edge/src/sources/httpSnapshot";
import { digestChallenge } from "../../../edge/src/sources/cameraAuth";
import { isFrame } from "../../../edge/src/sources/source";
import { gradientJpeg } from "../../harness/images";

const signal = new AbortController().signal;
const USER = { user: "inspector", password: "s3cret:with-colon" };
const md5 = (s: string) => createHash("md5").update(s).digest("hex");

/** A camera on 127.0.0.1 whose behaviour each test sets: a real HTTP server, real sockets. */
class FakeCamera {
  requests: IncomingMessage[] = [];
  handle: (req: IncomingMessage, res: ServerResponse) => void = () => {};
  private readonly server: Server = createServer((req, res) => {
    this.requests.push(req);
    this.handle(req, res);
  });
  async start(): Promise<URL> {
    this.server.listen(0, "127.0.0.1");
    await once(this.server, "listening");
    return new URL(`http://127.0.0.1:${(this.server.address() as AddressInfo).port}/snapshot.jpg?channel=1`);
  }
  close(): void {
    this.server.closeAllConnections();
    this.server.close();
  }
}

describe("http-snapshot source", () => {
  let jpeg: Buffer;
  let camera: FakeCamera;
  let url: URL;
  before(async () => {
    jpeg = await gradientJpeg(320, 240);
  });
  beforeEach(async () => {
    camera = new FakeCamera();
    url = await camera.start();
  });
  afterEach(() => camera.close());

  const source = (timeoutMs = 2000, credentials?: typeof USER) =>
    new HttpSnapshotSource({ url, timeoutMs, credentials });

  it("GETs one JPEG per frame, named by the time it was captured", async () => {
    camera.handle = (_req, res) => res.writeHead(200, { "content-type": "image/jpeg" }).end(jpeg);
    const before = Date.now();
    const frame = await source().next(signal);
    if (!isFrame(frame)) throw new Error(JSON.stringify(frame));
    expect(Buffer.compare(await frame.read(), jpeg)).to.equal(0);
    expect(frame.capturedAt).to.be.within(before, Date.now());
    expect(frame.name).to.match(/^http-snapshot-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}\.\d{3}Z\.jpg$/);
    expect(camera.requests[0].url).to.equal("/snapshot.jpg?channel=1");
  });

  it("answers a basic challenge, then sends the credentials with every request", async () => {
    const expected = `Basic ${Buffer.from(`${USER.user}:${USER.password}`).toString("base64")}`;
    camera.handle = (req, res) => {
      if (req.headers.authorization !== expected) {
        res.writeHead(401, { "www-authenticate": 'Basic realm="camera"' }).end();
      } else res.writeHead(200).end(jpeg);
    };
    const snapshots = source(2000, USER);
    for (let i = 0; i < 3; i++) expect(isFrame(await snapshots.next(signal))).to.equal(true);
    expect(camera.requests.map((r) => r.headers.authorization === expected)).to.deep.equal([false, true, true, true]);
  });

  it("answers a digest challenge (qop=auth) with the right response, counting requests per nonce", async () => {
    const realm = "IP Camera";
    const nonce = "dcd98b7102dd2f0e8b11d0f600bfb0c093";
    camera.handle = (req, res) => {
      const params = digestChallenge(req.headers.authorization?.replace(/^Digest /, "Digest ") ?? null);
      const ha1 = md5(`${USER.user}:${realm}:${USER.password}`);
      const ha2 = md5(`GET:${params?.uri}`);
      const ok =
        params &&
        params.uri === "/snapshot.jpg?channel=1" &&
        params.response === md5(`${ha1}:${nonce}:${params.nc}:${params.cnonce}:auth:${ha2}`);
      if (!ok) {
        res.writeHead(401, {
          "www-authenticate": `Digest realm="${realm}", qop="auth", nonce="${nonce}", opaque="5ccc"`,
        });
        res.end();
      } else res.writeHead(200).end(jpeg);
    };
    const snapshots = source(2000, USER);
    expect(isFrame(await snapshots.next(signal))).to.equal(true);
    expect(isFrame(await snapshots.next(signal))).to.equal(true);
    const counts = camera.requests.slice(1).map((r) => digestChallenge(r.headers.authorization ?? null)?.nc);
    expect(counts).to.deep.equal(["00000001", "00000002"]);
  });

  it("refuses wrong credentials with one clear problem, without retrying in a loop", async () => {
    camera.handle = (_req, res) => res.writeHead(401, { "www-authenticate": 'Digest realm="r", nonce="n1"' }).end();
    const error = await source(2000, USER)
      .next(signal)
      .then(
        () => undefined,
        (e: Error) => e,
      );
    expect(error?.message).to.equal(`camera ${url.href} answered HTTP 401 Unauthorized`);
    expect(camera.requests).to.have.length(2);
  });

  it("reports a failing camera and a camera that is down by the same words each time (logged once by the loop)", async () => {
    camera.handle = (_req, res) => res.writeHead(503).end("busy");
    const snapshots = source();
    const messages = [];
    for (let i = 0; i < 2; i++) messages.push(await snapshots.next(signal).catch((e: Error) => e.message));
    expect(messages).to.deep.equal([
      `camera ${url.href} answered HTTP 503 Service Unavailable`,
      `camera ${url.href} answered HTTP 503 Service Unavailable`,
    ]);
    camera.close();
    expect(await snapshots.next(signal).catch((e: Error) => e.message)).to.equal(
      `camera ${url.href} is unreachable: ECONNREFUSED`,
    );
  });

  it("gives up on a camera that hangs after the timeout", async () => {
    camera.handle = (_req, res) =>
      res.writeHead(200, { "content-length": String(jpeg.length) }).write(jpeg.subarray(0, 100));
    const started = Date.now();
    const message = await source(300)
      .next(signal)
      .catch((e: Error) => e.message);
    expect(message).to.equal(`camera ${url.href} is unreachable: no answer within 0.3 s`);
    expect(Date.now() - started).to.be.within(250, 2000);
  });
});
