import { createHash } from "node:crypto";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import https from "node:https";
import net from "node:net";
import { Duplex } from "node:stream";
import { Aedes } from "aedes";

/** The WebSocket upgrade request as the server received it. */
export interface Upgrade {
  url: string;
  headers: Record<string, string | string[] | undefined>;
}

const WEBSOCKET_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/** One unmasked, final, binary frame (RFC 6455 §5.2): what a server sends. */
function binaryFrame(payload: Buffer): Buffer {
  const length = payload.length;
  if (length < 126) return Buffer.concat([Buffer.from([0x82, length]), payload]);
  if (length < 65536) return Buffer.concat([Buffer.from([0x82, 126, length >> 8, length & 0xff]), payload]);
  const header = Buffer.from([0x82, 127, 0, 0, 0, 0, 0, 0, 0, 0]);
  header.writeBigUInt64BE(BigInt(length), 2);
  return Buffer.concat([header, payload]);
}

/**
 * MQTT over secure WebSocket, as AWS IoT Core serves it at `wss://<endpoint>/mqtt`, in front of an aedes broker: a
 * minimal RFC 6455 server (binary frames, masking, close) on TLS. It records each upgrade request so a test can check
 * what the client signed; it does not check signatures, which only IoT Core can.
 */
export class WebSocketMqttBridge {
  readonly upgrades: Upgrade[] = [];
  /** Upgrades to answer with 403, as IoT Core answers a bad signature, before accepting any. */
  refuse = 0;
  private constructor(
    private readonly server: https.Server,
    private readonly aedes: Aedes,
    readonly port: number,
  ) {}

  static async start(tls: { cert: string; key: string }): Promise<WebSocketMqttBridge> {
    const aedes = await Aedes.createBroker();
    const server = https.createServer({ cert: readFileSync(tls.cert), key: readFileSync(tls.key) });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const bridge = new WebSocketMqttBridge(server, aedes, (server.address() as net.AddressInfo).port);
    server.on("upgrade", (request, socket: net.Socket) => {
      bridge.upgrades.push({ url: request.url ?? "", headers: request.headers });
      const key = request.headers["sec-websocket-key"];
      if (request.headers.upgrade?.toLowerCase() !== "websocket" || typeof key !== "string") {
        socket.end("HTTP/1.1 400 Bad Request\r\n\r\n");
        return;
      }
      if (bridge.refuse > 0) {
        bridge.refuse -= 1;
        socket.end("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n");
        return;
      }
      const accept = createHash("sha1").update(`${key}${WEBSOCKET_GUID}`).digest("base64");
      socket.write(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
          `Sec-WebSocket-Accept: ${accept}\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n`,
      );
      aedes.handle(bridge.frames(socket));
    });
    return bridge;
  }

  /** A duplex of MQTT bytes over the socket's WebSocket frames. */
  private frames(socket: net.Socket): Duplex {
    let pending = Buffer.alloc(0);
    const mqtt = new Duplex({
      read() {},
      write(chunk: Buffer, _encoding, done) {
        socket.write(binaryFrame(chunk), done);
      },
      final(done) {
        socket.end();
        done();
      },
    });
    socket.on("data", (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      for (;;) {
        if (pending.length < 2) return;
        const opcode = pending[0] & 0x0f;
        const masked = (pending[1] & 0x80) !== 0;
        let length = pending[1] & 0x7f;
        let offset = 2;
        if (length === 126) {
          if (pending.length < 4) return;
          length = pending.readUInt16BE(2);
          offset = 4;
        } else if (length === 127) {
          if (pending.length < 10) return;
          length = Number(pending.readBigUInt64BE(2));
          offset = 10;
        }
        const mask = masked ? pending.subarray(offset, offset + 4) : undefined;
        if (mask) offset += 4;
        if (pending.length < offset + length) return;
        const payload = Buffer.from(pending.subarray(offset, offset + length));
        if (mask) for (let i = 0; i < payload.length; i++) payload[i] ^= mask[i % 4];
        pending = pending.subarray(offset + length);
        if (opcode === 0x8) {
          socket.end(Buffer.from([0x88, 0]));
          mqtt.push(null);
          return;
        }
        if (opcode === 0x9) socket.write(Buffer.concat([Buffer.from([0x8a, payload.length]), payload]));
        else if (opcode === 0x0 || opcode === 0x1 || opcode === 0x2) mqtt.push(payload);
      }
    });
    socket.on("close", () => mqtt.destroy());
    socket.on("error", () => mqtt.destroy());
    return mqtt;
  }

  publish(topic: string, payload: object): Promise<void> {
    return new Promise((resolve, reject) =>
      this.aedes.publish(
        { cmd: "publish", topic, payload: Buffer.from(JSON.stringify(payload)), qos: 1, retain: false, dup: false },
        (error) => (error ? reject(error) : resolve()),
      ),
    );
  }

  async stop(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.aedes.close(() => resolve()));
    await closed;
  }
}
