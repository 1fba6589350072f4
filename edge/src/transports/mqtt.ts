import { EventEmitter } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import { io, mqtt, mqtt5 } from "aws-iot-device-sdk-v2";
import { Log } from "../log";
import { NotConnectedError, Transport, withTimeout } from "./transport";

export interface MqttTransportOptions {
  /** `mqtt://host[:1883]` (plain TCP) or `mqtts://host[:8883]` (mutual TLS, e.g. an AWS IoT Core endpoint). */
  broker: URL;
  clientId: string;
  /** mqtts: client certificate, private key (PEM files) and, optionally, the CA to trust instead of the system's. */
  cert?: string;
  key?: string;
  ca?: string;
  /** A PUBACK that takes longer fails the publish (the message stays in the outbox). */
  ackTimeoutSeconds: number;
  /** `5` (AWS IoT Core, mosquitto 2) or `3.1.1` for brokers that speak only that (e.g. aedes in `npm start`). */
  protocol: MqttProtocol;
  log: Log;
}

/** The certificate, key or CA files cannot make a TLS context (not PEM, or a key that does not match). */
export class TlsFilesError extends Error {
  override name = "TlsFilesError";
}

export const MQTT_PROTOCOLS = ["5", "3.1.1"] as const;
export type MqttProtocol = (typeof MQTT_PROTOCOLS)[number];

/**
 * MQTT 5 (or 3.1.1) over aws-crt: plain TCP to any broker, or mutual TLS to AWS IoT Core (client id = thing name).
 * QoS 1; the client reconnects by itself with exponential backoff. Publishes are never queued inside the client: on a
 * disconnect they fail and the outbox, which still holds them, resends after the reconnect.
 */
export class MqttTransport extends EventEmitter implements Transport {
  readonly name = "mqtt";
  private client?: mqtt5.Mqtt5Client;
  private connection?: mqtt.MqttClientConnection;
  private isConnected = false;
  private failedAttempts = 0;
  /** Built up front, so unusable certificate files are a configuration problem, not a crash once running. */
  private readonly tls?: io.ClientTlsContext;
  private readonly subscriptions = new Map<string, (payload: Buffer) => void>();

  constructor(private readonly options: MqttTransportOptions) {
    super();
    const { secure, port } = this.endpoint;
    if (secure) this.tls = this.tlsContext(port);
  }

  get connected(): boolean {
    return this.isConnected;
  }

  private get endpoint() {
    const { broker } = this.options;
    const secure = broker.protocol === "mqtts:";
    const port = Number(broker.port) || (secure ? 8883 : 1883);
    return { secure, port, where: `${broker.protocol}//${broker.hostname}:${port}` };
  }

  start(): void {
    if (this.options.protocol === "3.1.1") return this.startMqtt311();
    const { broker, clientId, log } = this.options;
    const { port, where } = this.endpoint;
    const client = new mqtt5.Mqtt5Client({
      hostName: broker.hostname,
      port,
      tlsCtx: this.tls,
      connectProperties: { clientId, keepAliveIntervalSeconds: 30 },
      sessionBehavior: mqtt5.ClientSessionBehavior.Clean,
      offlineQueueBehavior: mqtt5.ClientOperationQueueBehavior.FailAllOnDisconnect,
      retryJitterMode: mqtt5.RetryJitterType.Full,
      minReconnectDelayMs: 500,
      maxReconnectDelayMs: 30_000,
      ackTimeoutSeconds: this.options.ackTimeoutSeconds,
      connackTimeoutMs: 10_000,
    });
    client.on("connectionSuccess", () => {
      this.failedAttempts = 0;
      this.isConnected = true;
      log.info(`connected to ${where} as ${clientId}`);
      this.emit("connected");
      this.subscribeAll();
    });
    client.on("messageReceived", (event) => {
      const handler = this.subscriptions.get(event.message.topicName);
      if (handler) handler(payloadBuffer(event.message.payload));
    });
    client.on("connectionFailure", (event) => {
      this.failedAttempts += 1;
      if (this.failedAttempts === 1 || this.failedAttempts % 20 === 0) {
        log.warn(`cannot connect to ${where} (${this.failedAttempts}x): ${crtErrorText(event.error)}`);
      }
    });
    client.on("disconnection", (event) => {
      if (!this.isConnected) return;
      this.isConnected = false;
      log.warn(`disconnected from ${where}: ${crtErrorText(event.error)}`);
      this.emit("disconnected");
    });
    this.client = client;
    client.start();
  }

  /**
   * aws-crt's MQTT 3.1.1 connection reconnects by itself only after a first success, so the first connection is
   * retried here with the same backoff. Its keep-alive and PUBACK timeouts match the MQTT 5 client's.
   */
  private startMqtt311(): void {
    const { broker, clientId, ackTimeoutSeconds, log } = this.options;
    const { port, where } = this.endpoint;
    const connection = new mqtt.MqttClient().new_connection({
      client_id: clientId,
      host_name: broker.hostname,
      port,
      clean_session: true,
      keep_alive: 30,
      socket_options: new io.SocketOptions(io.SocketType.STREAM, io.SocketDomain.IPV4, 10_000),
      tls_ctx: this.tls,
      reconnect_min_sec: 1,
      reconnect_max_sec: 30,
      protocol_operation_timeout: ackTimeoutSeconds * 1000,
    });
    const connected = () => {
      this.failedAttempts = 0;
      this.isConnected = true;
      log.info(`connected to ${where} as ${clientId} (MQTT 3.1.1)`);
      this.emit("connected");
      this.subscribeAll();
    };
    connection.on("connect", connected);
    connection.on("resume", connected);
    connection.on("interrupt", (error) => {
      if (!this.isConnected) return;
      this.isConnected = false;
      log.warn(`disconnected from ${where}: ${crtErrorText(error)}`);
      this.emit("disconnected");
    });
    // Errors also reject the call that caused them; this keeps an unhandled "error" event from ending the process.
    connection.on("error", (error) => log.warn(`MQTT connection to ${where}: ${crtErrorText(error)}`));
    this.connection = connection;
    void (async () => {
      for (let delay = 500; this.connection === connection; delay = Math.min(delay * 2, 30_000)) {
        try {
          await connection.connect();
          return;
        } catch (error) {
          this.failedAttempts += 1;
          if (this.failedAttempts === 1 || this.failedAttempts % 20 === 0) {
            log.warn(
              `cannot connect to ${where} (${this.failedAttempts}x): ${crtErrorText(error as { error_name?: string })}`,
            );
          }
          await sleep(delay * (0.5 + Math.random() / 2));
        }
      }
    })();
  }

  /** Subscribes (QoS 1) on every connection: the session is clean, so the broker forgets it on a reconnect. */
  subscribe(topic: string, onMessage: (payload: Buffer) => void): void {
    this.subscriptions.set(topic, onMessage);
    if (this.isConnected) this.subscribeAll();
  }

  private subscribeAll(): void {
    const failed = (topic: string) => (error: unknown) =>
      this.options.log.warn(`cannot subscribe to ${topic}: ${crtErrorText(error as { error_name?: string })}`);
    for (const [topic, handler] of this.subscriptions) {
      if (this.connection) {
        this.connection
          .subscribe(topic, mqtt.QoS.AtLeastOnce, (_topic, payload) => handler(Buffer.from(payload)))
          .catch(failed(topic));
      } else {
        this.client
          ?.subscribe({ subscriptions: [{ topicFilter: topic, qos: mqtt5.QoS.AtLeastOnce }] })
          .catch(failed(topic));
      }
    }
  }

  async publish(topic: string, payload: Buffer): Promise<void> {
    if (this.connection) {
      if (!this.isConnected) throw new NotConnectedError("not connected to the MQTT broker");
      // Resolves on the PUBACK; MQTT 3.1.1 acknowledgements carry no reason code.
      await withTimeout(
        this.connection.publish(topic, payload, mqtt.QoS.AtLeastOnce),
        (this.options.ackTimeoutSeconds + 1) * 1000,
        "PUBACK",
      );
      return;
    }
    if (!this.client || !this.isConnected) throw new NotConnectedError("not connected to the MQTT broker");
    const puback = await withTimeout(
      this.client.publish({ topicName: topic, qos: mqtt5.QoS.AtLeastOnce, payload }),
      (this.options.ackTimeoutSeconds + 1) * 1000,
      "PUBACK",
    );
    // Reason codes below 128 are successes (0, or 16 "no matching subscribers").
    if (!puback || puback.reasonCode >= 128) {
      throw new Error(`the broker refused the message on ${topic}: PUBACK reason ${puback?.reasonCode ?? "missing"}`);
    }
  }

  async stop(): Promise<void> {
    const connection = this.connection;
    if (connection) {
      this.connection = undefined;
      this.isConnected = false;
      await withTimeout(connection.disconnect(), 5000, "MQTT disconnect").catch(() => undefined);
      return;
    }
    const client = this.client;
    if (!client) return;
    this.client = undefined;
    this.isConnected = false;
    const stopped = new Promise<void>((resolve) => client.once("stopped", () => resolve()));
    client.stop();
    await withTimeout(stopped, 5000, "MQTT stop").catch(() => undefined);
    client.close();
  }

  private tlsContext(port: number): io.ClientTlsContext {
    const { cert, key, ca } = this.options;
    if (!cert || !key) throw new Error("an mqtts broker needs a client certificate and key");
    try {
      const tls = io.TlsContextOptions.create_client_with_mtls_from_path(cert, key);
      if (ca) tls.override_default_trust_store_from_path(undefined, ca);
      // AWS IoT Core accepts MQTT over TLS on 443 only with this ALPN protocol.
      if (port === 443) tls.alpn_list = ["x-amzn-mqtt-ca"];
      return new io.ClientTlsContext(tls);
    } catch (error) {
      const what = ca
        ? "a PEM client certificate, its private key and a PEM CA certificate"
        : "a PEM client certificate and its private key";
      const files = [cert, key, ca].filter(Boolean).join(", ");
      const names = ca ? "cert, key and ca (--cert, --key, --ca)" : "cert and key (--cert, --key)";
      throw new TlsFilesError(
        `${names} must be ${what}: aws-crt refused ${files} (${crtErrorText(error as { error_name?: string })})`,
      );
    }
  }
}

function payloadBuffer(payload: unknown): Buffer {
  if (payload === undefined) return Buffer.alloc(0);
  if (typeof payload === "string") return Buffer.from(payload);
  if (ArrayBuffer.isView(payload)) return Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  return Buffer.from(payload as ArrayBuffer);
}

function crtErrorText(error: { error_name?: string }): string {
  return (error as Error).message || error.error_name || "unknown error";
}
