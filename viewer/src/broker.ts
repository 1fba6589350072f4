import { EventEmitter } from "node:events";
import { auth, io, iot, mqtt } from "aws-crt";
import { BrokerAddress, brokerLabel } from "./options";

/**
 * The viewer's MQTT subscription, over aws-crt's MQTT 3.1.1 client: the offline run's embedded broker (aedes)
 * speaks only 3.1.1, and mosquitto and AWS IoT Core speak it too. Plain TCP, mutual TLS, or WebSocket signed with
 * SigV4 from the standard AWS credential chain. Clean sessions: the viewer shows what arrives while it is connected.
 */

export type BrokerState = "connecting" | "connected" | "reconnecting" | "stopped";

export interface BrokerStatus {
  state: BrokerState;
  broker: string;
  /** When the state began (ISO 8601). */
  since: string;
  /** Why, for people: the last connection error, or a refused subscription. */
  detail?: string;
}

export interface BrokerConnectionOptions {
  broker: BrokerAddress;
  clientId: string;
  topics: string[];
  tls?: { cert: string; key: string };
  ca?: string;
  region?: string;
}

const KEEP_ALIVE_SECONDS = 30;
const RECONNECT_MIN_SECONDS = 1;
const RECONNECT_MAX_SECONDS = 30;

/** The aws-crt connection settings for each kind of broker URL. */
export function connectionConfig(options: BrokerConnectionOptions): mqtt.MqttConnectionConfig {
  const { broker, clientId, tls, ca, region } = options;
  const common = {
    client_id: clientId,
    host_name: broker.host,
    port: broker.port,
    clean_session: true,
    keep_alive: KEEP_ALIVE_SECONDS,
    reconnect_min_sec: RECONNECT_MIN_SECONDS,
    reconnect_max_sec: RECONNECT_MAX_SECONDS,
  };
  switch (broker.protocol) {
    case "mqtt:":
      return { ...common, socket_options: new io.SocketOptions() };
    case "mqtts:": {
      if (!tls) throw new Error("an mqtts broker needs a client certificate and key");
      const tlsOptions = io.TlsContextOptions.create_client_with_mtls_from_path(tls.cert, tls.key);
      if (ca) tlsOptions.override_default_trust_store_from_path(undefined, ca);
      // AWS IoT Core accepts MQTT over TLS on 443 only with this ALPN protocol.
      if (broker.port === 443) tlsOptions.alpn_list = ["x-amzn-mqtt-ca"];
      return { ...common, socket_options: new io.SocketOptions(), tls_ctx: new io.ClientTlsContext(tlsOptions) };
    }
    case "wss:": {
      if (!region) throw new Error("a wss broker needs the AWS region to sign for");
      const builder = iot.AwsIotMqttConnectionConfigBuilder.new_with_websockets({
        credentials_provider: auth.AwsCredentialsProvider.newDefault(),
        region,
      });
      if (ca) builder.with_certificate_authority_from_path(undefined, ca);
      return {
        ...builder.with_endpoint(broker.host).with_port(broker.port).with_client_id(clientId).build(),
        ...common,
      };
    }
  }
}

function crtErrorText(error: unknown): string {
  const e = error as { error_name?: string; message?: string; error?: { error_name?: string } } | undefined;
  return e?.error_name ?? e?.error?.error_name ?? e?.message ?? String(error);
}

/**
 * Connects, subscribes to `topics` (QoS 1) and emits `message` (topic, payload) and `status` (BrokerStatus). The
 * first connection is retried here with exponential backoff (aws-crt gives up on a failed first connect); after
 * that aws-crt reconnects by itself, and the subscriptions are renewed whenever the broker lost the session.
 */
export class BrokerConnection extends EventEmitter {
  private readonly label: string;
  private connection?: mqtt.MqttClientConnection;
  private current: BrokerStatus;
  private retryTimer?: NodeJS.Timeout;
  private stopped = false;
  /** aws-crt owns reconnecting once the first connect succeeded; only then is there something to disconnect. */
  private established = false;

  constructor(private readonly options: BrokerConnectionOptions) {
    super();
    this.label = brokerLabel(options.broker);
    this.current = { state: "connecting", broker: this.label, since: new Date().toISOString() };
  }

  get status(): BrokerStatus {
    return { ...this.current };
  }

  start(): void {
    void this.connectFirst(1);
  }

  /** A new aws-crt connection for each first attempt: one whose connect failed may not connect again (wss). */
  private newConnection(): mqtt.MqttClientConnection {
    const connection = new mqtt.MqttClient().new_connection(connectionConfig(this.options));
    const current = () => this.connection === connection;
    connection.on("message", (topic, payload) => {
      if (current()) this.emit("message", topic, new Uint8Array(payload));
    });
    connection.on("interrupt", (error) => {
      if (current()) this.setStatus("reconnecting", crtErrorText(error));
    });
    connection.on("connection_failure", (event) => {
      if (current() && this.current.state === "reconnecting") this.setStatus("reconnecting", crtErrorText(event.error));
    });
    connection.on("resume", (_returnCode, sessionPresent) => {
      if (!current()) return;
      if (sessionPresent) this.setStatus("connected");
      else void this.subscribe();
    });
    return connection;
  }

  private async connectFirst(attempt: number): Promise<void> {
    if (this.stopped) return;
    const connection = this.newConnection();
    this.connection = connection;
    try {
      await connection.connect();
    } catch (error) {
      if (this.stopped) return;
      const delayMs = Math.min(RECONNECT_MAX_SECONDS, 2 ** (attempt - 1)) * 1000 * (0.5 + Math.random() / 2);
      this.setStatus(
        "connecting",
        `attempt ${attempt} failed: ${crtErrorText(error)}; next in ${(delayMs / 1000).toFixed(1)} s`,
      );
      this.retryTimer = setTimeout(() => void this.connectFirst(attempt + 1), delayMs);
      return;
    }
    this.established = true;
    if (this.stopped) {
      await connection.disconnect().catch(() => undefined);
      return;
    }
    await this.subscribe();
  }

  /** Subscribes to every topic, then reports the connection as up: "connected" means receiving. */
  private async subscribe(): Promise<void> {
    const connection = this.connection;
    if (!connection) return;
    const refused: string[] = [];
    for (const topic of this.options.topics) {
      try {
        const granted = await connection.subscribe(topic, mqtt.QoS.AtLeastOnce);
        // A SUBACK of 128 is a refusal (e.g. an AWS IoT policy without iot:Subscribe on the topic).
        if (granted.error_code || (granted.qos as number) === 128) refused.push(topic);
      } catch (error) {
        if (this.stopped) return;
        refused.push(`${topic} (${crtErrorText(error)})`);
      }
    }
    if (this.stopped) return;
    const detail = refused.length > 0 ? `the broker refused the subscription to ${refused.join(", ")}` : undefined;
    this.setStatus("connected", detail);
  }

  private setStatus(state: BrokerState, detail?: string): void {
    const since = state === this.current.state ? this.current.since : new Date().toISOString();
    this.current = { state, broker: this.label, since, ...(detail === undefined ? {} : { detail }) };
    this.emit("status", this.status);
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.retryTimer);
    const connection = this.connection;
    this.connection = undefined;
    if (connection && this.established) {
      await connection.disconnect().catch(() => undefined);
    }
    this.setStatus("stopped");
  }
}
