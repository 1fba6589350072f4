import { once } from "node:events";
import net from "node:net";
import { crc32 } from "node:zlib";

/**
 * A stand-in for the Greengrass nucleus's IPC server: the AWS event-stream RPC protocol over a Unix socket, enough
 * of it for the real greengrasscoreipc client to connect (with its SVCUID token) and call PublishToIoTCore. Framing
 * and checksums are checked as the nucleus would; requests are recorded; answers can be made to fail.
 */

// Event-stream message types and flags (aws-crt eventstream.MessageType / MessageFlags).
const APPLICATION_MESSAGE = 0;
const APPLICATION_ERROR = 1;
const CONNECT = 4;
const CONNECT_ACK = 5;
const CONNECTION_ACCEPTED = 1;
const TERMINATE_STREAM = 2;

type HeaderValue = { type: "int32"; value: number } | { type: "string"; value: string };

interface Message {
  headers: Map<string, number | string>;
  payload: Buffer;
}

function encodeHeaders(headers: [string, HeaderValue][]): Buffer {
  const parts: Buffer[] = [];
  for (const [name, header] of headers) {
    const nameBytes = Buffer.from(name);
    parts.push(Buffer.from([nameBytes.length]), nameBytes);
    if (header.type === "int32") {
      const value = Buffer.alloc(5);
      value.writeUInt8(4, 0);
      value.writeInt32BE(header.value, 1);
      parts.push(value);
    } else {
      const text = Buffer.from(header.value);
      const prefix = Buffer.alloc(3);
      prefix.writeUInt8(7, 0);
      prefix.writeUInt16BE(text.length, 1);
      parts.push(prefix, text);
    }
  }
  return Buffer.concat(parts);
}

function encodeMessage(headers: [string, HeaderValue][], payload: Buffer): Buffer {
  const headerBytes = encodeHeaders(headers);
  const total = 12 + headerBytes.length + payload.length + 4;
  const prelude = Buffer.alloc(12);
  prelude.writeUInt32BE(total, 0);
  prelude.writeUInt32BE(headerBytes.length, 4);
  prelude.writeUInt32BE(crc32(prelude.subarray(0, 8)), 8);
  const body = Buffer.concat([prelude, headerBytes, payload]);
  const trailer = Buffer.alloc(4);
  trailer.writeUInt32BE(crc32(body), 0);
  return Buffer.concat([body, trailer]);
}

function decodeMessage(frame: Buffer): Message {
  if (crc32(frame.subarray(0, 8)) !== frame.readUInt32BE(8)) throw new Error("bad prelude checksum");
  if (crc32(frame.subarray(0, frame.length - 4)) !== frame.readUInt32BE(frame.length - 4)) {
    throw new Error("bad message checksum");
  }
  const headersEnd = 12 + frame.readUInt32BE(4);
  const headers = new Map<string, number | string>();
  let at = 12;
  while (at < headersEnd) {
    const nameLength = frame.readUInt8(at);
    const name = frame.toString("utf8", at + 1, at + 1 + nameLength);
    at += 1 + nameLength;
    const type = frame.readUInt8(at);
    at += 1;
    switch (type) {
      case 0:
      case 1:
        headers.set(name, type === 0 ? 1 : 0);
        break;
      case 2:
        headers.set(name, frame.readInt8(at));
        at += 1;
        break;
      case 3:
        headers.set(name, frame.readInt16BE(at));
        at += 2;
        break;
      case 4:
        headers.set(name, frame.readInt32BE(at));
        at += 4;
        break;
      case 5:
      case 8:
        headers.set(name, Number(frame.readBigInt64BE(at)));
        at += 8;
        break;
      case 6:
      case 7: {
        const length = frame.readUInt16BE(at);
        headers.set(name, frame.toString(type === 7 ? "utf8" : "hex", at + 2, at + 2 + length));
        at += 2 + length;
        break;
      }
      case 9:
        headers.set(name, frame.toString("hex", at, at + 16));
        at += 16;
        break;
      default:
        throw new Error(`unknown header type ${type}`);
    }
  }
  return { headers, payload: frame.subarray(headersEnd, frame.length - 4) };
}

export interface PublishedToIoTCore {
  topicName: string;
  qos: string;
  payload: Buffer;
}

export class FakeNucleus {
  readonly published: PublishedToIoTCore[] = [];
  /** Tokens of accepted connections. */
  readonly connections: string[] = [];
  /** Answer the next `n` PublishToIoTCore calls with UnauthorizedError. */
  refuseNext = 0;
  /**
   * Restart (drop every connection) on receiving the n-th accepted PublishToIoTCore from now, after taking the
   * message but before answering: the client never learns it arrived.
   */
  restartOnPublish = 0;
  private readonly sockets = new Set<net.Socket>();

  private constructor(
    private readonly server: net.Server,
    private readonly authToken: string,
  ) {
    server.on("connection", (socket) => this.serve(socket));
  }

  static async start(socketPath: string, authToken: string): Promise<FakeNucleus> {
    const server = net.createServer();
    const nucleus = new FakeNucleus(server, authToken);
    server.listen(socketPath);
    await once(server, "listening");
    return nucleus;
  }

  /** Drops every client connection, as a nucleus restart does. */
  dropConnections(): void {
    for (const socket of this.sockets) socket.destroy();
  }

  async close(): Promise<void> {
    this.dropConnections();
    this.server.close();
    await once(this.server, "close");
  }

  private serve(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.on("close", () => this.sockets.delete(socket));
    socket.on("error", () => socket.destroy());
    let pending = Buffer.alloc(0);
    socket.on("data", (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 12 && pending.length >= pending.readUInt32BE(0)) {
        const frame = pending.subarray(0, pending.readUInt32BE(0));
        pending = pending.subarray(frame.length);
        this.handle(socket, decodeMessage(frame));
      }
    });
  }

  private handle(socket: net.Socket, message: Message): void {
    const type = message.headers.get(":message-type");
    const streamId = Number(message.headers.get(":stream-id") ?? 0);
    if (type === CONNECT) {
      const token = JSON.parse(message.payload.toString() || "{}").authToken;
      const accepted = token === this.authToken;
      if (accepted) this.connections.push(token);
      socket.write(
        encodeMessage(
          [
            [":message-type", { type: "int32", value: CONNECT_ACK }],
            [":message-flags", { type: "int32", value: accepted ? CONNECTION_ACCEPTED : 0 }],
            [":stream-id", { type: "int32", value: 0 }],
          ],
          Buffer.alloc(0),
        ),
      );
      return;
    }
    if (type !== APPLICATION_MESSAGE || message.headers.get("operation") !== "aws.greengrass#PublishToIoTCore") return;
    const request = JSON.parse(message.payload.toString());
    const refuse = this.refuseNext > 0;
    if (refuse) this.refuseNext -= 1;
    else {
      this.published.push({
        topicName: request.topicName,
        qos: request.qos,
        payload: Buffer.from(request.payload, "base64"),
      });
      if (this.restartOnPublish > 0 && --this.restartOnPublish === 0) {
        this.dropConnections();
        return;
      }
    }
    const [messageType, shape, body] = refuse
      ? [APPLICATION_ERROR, "aws.greengrass#UnauthorizedError", { message: "not authorized to publish" }]
      : [APPLICATION_MESSAGE, "aws.greengrass#PublishToIoTCoreResponse", {}];
    socket.write(
      encodeMessage(
        [
          [":message-type", { type: "int32", value: messageType }],
          [":message-flags", { type: "int32", value: TERMINATE_STREAM }],
          [":stream-id", { type: "int32", value: streamId }],
          ["service-model-type", { type: "string", value: shape }],
          [":content-type", { type: "string", value: "application/json" }],
        ],
        Buffer.from(JSON.stringify(body)),
      ),
    );
  }
}
