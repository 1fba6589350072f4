import { EventEmitter } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import { eventstream_rpc, greengrasscoreipc } from "aws-iot-device-sdk-v2";
import { Log } from "../log";
import { NotConnectedError, Transport, withTimeout } from "./transport";

/** Environment Greengrass gives a component process; without it there is no IPC to talk to. */
export const GREENGRASS_IPC_ENV = ["AWS_GG_NUCLEUS_DOMAIN_SOCKET_FILEPATH_FOR_COMPONENT", "SVCUID"] as const;

export function insideGreengrass(env: NodeJS.ProcessEnv = process.env): boolean {
  return GREENGRASS_IPC_ENV.every((name) => Boolean(env[name]));
}

export interface GreengrassIpcTransportOptions {
  /** A PublishToIoTCore call that takes longer fails (the message stays in the outbox). */
  ackTimeoutSeconds: number;
  log: Log;
}

/**
 * PublishToIoTCore through the Greengrass nucleus over IPC (aws-iot-device-sdk-v2's greengrasscoreipc client, on
 * aws-crt's event-stream RPC). The nucleus holds the device's IoT Core connection; the component needs the
 * `aws.greengrass.ipc.mqttproxy` access control in its recipe. Reconnects to the nucleus with backoff.
 */
export class GreengrassIpcTransport extends EventEmitter implements Transport {
  readonly name = "greengrass-ipc";
  private client?: greengrasscoreipc.Client;
  private isConnected = false;
  private stopping = false;
  private readonly stopped = new AbortController();
  private connecting?: Promise<void>;
  private readonly subscriptions = new Map<string, (payload: Buffer) => void>();

  constructor(private readonly options: GreengrassIpcTransportOptions) {
    super();
  }

  get connected(): boolean {
    return this.isConnected;
  }

  start(): void {
    this.connecting = this.connectLoop();
  }

  async publish(topic: string, payload: Buffer): Promise<void> {
    const client = this.client;
    if (!client || !this.isConnected) throw new NotConnectedError("not connected to the Greengrass nucleus");
    // The client does not fail a call whose connection drops; stop waiting for it then, not after the timeout.
    let onDisconnect: (() => void) | undefined;
    const disconnected = new Promise<never>((_, reject) => {
      onDisconnect = () => reject(new NotConnectedError("the connection to the nucleus dropped"));
      client.once("disconnection", onDisconnect);
    });
    try {
      await withTimeout(
        Promise.race([
          client.publishToIoTCore({ topicName: topic, qos: greengrasscoreipc.model.QOS.AT_LEAST_ONCE, payload }),
          disconnected,
        ]),
        this.options.ackTimeoutSeconds * 1000,
        "PublishToIoTCore",
      );
    } catch (error) {
      throw new Error(`PublishToIoTCore on ${topic} failed: ${describeRpcError(error)}`, { cause: error });
    } finally {
      client.off("disconnection", onDisconnect!);
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.stopped.abort();
    await this.connecting;
    const client = this.client;
    this.client = undefined;
    this.isConnected = false;
    await client?.close().catch(() => undefined);
  }

  private async connectLoop(): Promise<void> {
    const { log } = this.options;
    for (let attempt = 1; !this.stopping; attempt++) {
      const client = greengrasscoreipc.createClient();
      try {
        await withTimeout(client.connect(), 10_000, "IPC connect");
      } catch (error) {
        await client.close().catch(() => undefined);
        if (attempt === 1 || attempt % 20 === 0) {
          log.warn(`cannot connect to the Greengrass nucleus (${attempt}x): ${(error as Error).message}`);
        }
        const delay = Math.min(500 * 2 ** (attempt - 1), 30_000);
        await sleep(delay, undefined, { signal: this.stopped.signal }).catch(() => undefined);
        continue;
      }
      if (this.stopping) {
        await client.close().catch(() => undefined);
        return;
      }
      client.on("disconnection", (event) => {
        if (this.client !== client) return;
        this.isConnected = false;
        this.client = undefined;
        log.warn(`disconnected from the Greengrass nucleus: ${event?.reason?.message ?? "no reason given"}`);
        this.emit("disconnected");
        if (!this.stopping) this.connecting = this.connectLoop();
      });
      this.client = client;
      this.isConnected = true;
      log.info("connected to the Greengrass nucleus (IPC)");
      this.emit("connected");
      this.subscribeAll(client);
      return;
    }
  }

  /** Greengrass local publish/subscribe (SubscribeToTopic): triggers from other components, e.g. a PLC gateway. */
  subscribe(topic: string, onMessage: (payload: Buffer) => void): void {
    this.subscriptions.set(topic, onMessage);
    if (this.client) this.subscribeAll(this.client);
  }

  private subscribeAll(client: greengrasscoreipc.Client): void {
    for (const [topic, handler] of this.subscriptions) {
      const operation = client.subscribeToTopic({ topic });
      operation.on("message", (message) => {
        const binary = message.binaryMessage?.message;
        const json = message.jsonMessage?.message;
        if (binary !== undefined) handler(Buffer.from(binary as ArrayBuffer));
        else if (json !== undefined) handler(Buffer.from(JSON.stringify(json)));
      });
      operation
        .activate()
        .catch((error: unknown) => this.options.log.warn(`cannot subscribe to ${topic}: ${describeRpcError(error)}`));
    }
  }
}

/** The nucleus's own answer (e.g. UnauthorizedError: the recipe's access control lacks the topic) when there is one. */
function describeRpcError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const { serviceError, internalError } = error as eventstream_rpc.RpcError;
  if (serviceError) return `the nucleus refused: ${serviceError.message ?? JSON.stringify(serviceError)}`;
  if (internalError) return `${error.message} (${internalError.message})`;
  return error.message;
}
