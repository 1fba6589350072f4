import { ChildProcess, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { mqtt5 } from "aws-iot-device-sdk-v2";

/** Debian's mosquitto 2.0 (MQTT 5); `.ci/run` installs it. */
export const MOSQUITTO = ["/usr/sbin/mosquitto", "/usr/bin/mosquitto"].find((p) => existsSync(p));
export const NO_MOSQUITTO = "mosquitto is not installed (apt-get install mosquitto; .ci/run does)";

export async function freePort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as net.AddressInfo;
  server.close();
  await once(server, "close");
  return port;
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`mosquitto did not listen on ${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface TlsListener {
  port: number;
  ca: string;
  cert: string;
  key: string;
}

/**
 * A real mosquitto broker on a free port, with persistence so that a stop and start keeps sessions (a subscriber's
 * queued QoS 1 messages survive, as on a production broker). Optionally a second, mutual-TLS listener.
 */
export class Mosquitto {
  private process?: ChildProcess;
  private readonly config: string;

  private constructor(
    readonly dir: string,
    readonly port: number,
    readonly tls?: TlsListener,
  ) {
    this.config = path.join(dir, "mosquitto.conf");
  }

  static async create(dir: string, tls?: TlsListener): Promise<Mosquitto> {
    mkdirSync(path.join(dir, "data"), { recursive: true });
    const broker = new Mosquitto(dir, await freePort(), tls);
    const lines = [
      // Started as root, mosquitto would switch to its own user and could not read our temporary folders.
      `user ${os.userInfo().username}`,
      "per_listener_settings false",
      "allow_anonymous true",
      "persistence true",
      `persistence_location ${path.join(dir, "data")}/`,
      `listener ${broker.port} 127.0.0.1`,
    ];
    if (tls) {
      lines.push(
        `listener ${tls.port} 127.0.0.1`,
        `cafile ${tls.ca}`,
        `certfile ${tls.cert}`,
        `keyfile ${tls.key}`,
        "require_certificate true",
      );
    }
    writeFileSync(broker.config, `${lines.join("\n")}\n`);
    return broker;
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    if (!MOSQUITTO) throw new Error(NO_MOSQUITTO);
    this.process = spawn(MOSQUITTO, ["-c", this.config], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    this.process.stderr?.on("data", (chunk) => (stderr += chunk));
    try {
      await waitForPort(this.port, 5000);
      if (this.tls) await waitForPort(this.tls.port, 5000);
    } catch (error) {
      await this.stop();
      throw new Error(`${(error as Error).message}\n${stderr}`, { cause: error });
    }
  }

  /** SIGTERM: mosquitto saves its sessions and exits, as a broker restart does. */
  async stop(): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null) return;
    this.process = undefined;
    const exited = once(child, "exit");
    child.kill("SIGTERM");
    await exited;
  }
}

export interface Received {
  topic: string;
  body: Record<string, unknown>;
}

/**
 * A subscriber on the real broker (aws-crt MQTT 5 client) with a persistent session: messages published while it is
 * away are queued by the broker and delivered when it comes back. Around a broker restart, `disconnect()` before and
 * `reconnect()` after (a client that received messages and then resumed its session inside one connection made
 * aws-crt 1.33 abort at process exit).
 */
export class Subscriber {
  readonly received: Received[] = [];
  private readonly waiters = new Set<() => void>();
  private client?: mqtt5.Mqtt5Client;

  private constructor(
    private readonly port: number,
    private readonly topicFilter: string,
    private readonly clientId: string,
  ) {}

  static async connect(port: number, topicFilter: string, clientId: string): Promise<Subscriber> {
    const subscriber = new Subscriber(port, topicFilter, clientId);
    await subscriber.reconnect();
    return subscriber;
  }

  async reconnect(): Promise<void> {
    const client = new mqtt5.Mqtt5Client({
      hostName: "127.0.0.1",
      port: this.port,
      sessionBehavior: mqtt5.ClientSessionBehavior.RejoinAlways,
      connectProperties: { clientId: this.clientId, keepAliveIntervalSeconds: 30, sessionExpiryIntervalSeconds: 3600 },
    });
    client.on("messageReceived", ({ message }) => {
      const text = Buffer.from(message.payload as ArrayBuffer).toString("utf8");
      this.received.push({ topic: message.topicName, body: JSON.parse(text) });
      for (const wake of this.waiters) wake();
    });
    const connected = once(client, "connectionSuccess");
    client.start();
    await connected;
    await client.subscribe({ subscriptions: [{ topicFilter: this.topicFilter, qos: mqtt5.QoS.AtLeastOnce }] });
    this.client = client;
  }

  async disconnect(): Promise<void> {
    const client = this.client;
    if (!client) return;
    this.client = undefined;
    const stopped = once(client, "stopped");
    client.stop();
    await stopped;
    client.close();
  }

  /** Resolves once `done(received)` holds; fails after `timeoutMs` with what arrived. */
  async waitFor(done: (received: Received[]) => boolean, timeoutMs: number): Promise<Received[]> {
    const deadline = Date.now() + timeoutMs;
    while (!done(this.received)) {
      const left = deadline - Date.now();
      if (left <= 0) {
        const names = this.received.map((r) => r.body.image_name ?? r.body.code).join(", ");
        throw new Error(`timed out; received ${this.received.length}: ${names}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 200));
        const wake = () => {
          clearTimeout(timer);
          this.waiters.delete(wake);
          resolve();
        };
        this.waiters.add(wake);
      });
    }
    return this.received;
  }

  close(): Promise<void> {
    return this.disconnect();
  }
}

/** Self-signed CA, a server certificate for localhost and a client certificate, made with openssl. */
export function makeCertificates(
  dir: string,
): { ca: string; server: { cert: string; key: string }; client: { cert: string; key: string } } | undefined {
  const openssl = spawnSync("openssl", ["version"]);
  if (openssl.status !== 0) return undefined;
  const file = (name: string) => path.join(dir, name);
  const run = (args: string[]) => {
    const result = spawnSync("openssl", args, { cwd: dir, encoding: "utf8" });
    if (result.status !== 0) throw new Error(`openssl ${args.join(" ")} failed: ${result.stderr}`);
  };
  mkdirSync(dir, { recursive: true });
  run([
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    "2",
    "-subj",
    "/CN=qi-test-ca",
    "-keyout",
    file("ca.key"),
    "-out",
    file("ca.crt"),
  ]);
  writeFileSync(file("server.ext"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
  for (const [name, subject, ext] of [
    ["server", "/CN=localhost", ["-extfile", file("server.ext")]],
    ["client", "/CN=qi-test-thing", []],
  ] as const) {
    run([
      "req",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-subj",
      subject,
      "-keyout",
      file(`${name}.key`),
      "-out",
      file(`${name}.csr`),
    ]);
    run([
      "x509",
      "-req",
      "-in",
      file(`${name}.csr`),
      "-CA",
      file("ca.crt"),
      "-CAkey",
      file("ca.key"),
      "-CAcreateserial",
      "-days",
      "2",
      "-out",
      file(`${name}.crt`),
      ...ext,
    ]);
  }
  return {
    ca: file("ca.crt"),
    server: { cert: file("server.crt"), key: file("server.key") },
    client: { cert: file("client.crt"), key: file("client.key") },
  };
}
