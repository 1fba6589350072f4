import { once } from "node:events";
import net from "node:net";
import { Aedes } from "aedes";

export interface BrokerMessage {
  topic: string;
  payload: Buffer;
  /** MQTT client id of the publisher. */
  clientId: string;
  receivedAt: number;
}

/**
 * An MQTT broker inside this process (aedes, MQTT 3.1.1) on a local port: what AWS IoT Core is to the fleet, the
 * offline run is to its edge process. Every message a client publishes is handed to the listeners.
 */
export class EmbeddedBroker {
  private readonly listeners = new Set<(message: BrokerMessage) => void>();

  private constructor(
    private readonly aedes: Aedes,
    private readonly server: net.Server,
    readonly port: number,
  ) {
    aedes.on("publish", (packet, client) => {
      // Messages without a client are the broker's own ($SYS); only devices' messages count.
      if (!client) return;
      const message = {
        topic: packet.topic,
        payload: Buffer.from(packet.payload),
        clientId: client.id,
        receivedAt: Date.now(),
      };
      for (const listener of this.listeners) listener(message);
    });
  }

  /** Starts on `port` (0: any free port) of 127.0.0.1. */
  static async start(port = 0): Promise<EmbeddedBroker> {
    const aedes = await Aedes.createBroker();
    const server = net.createServer(aedes.handle);
    server.listen(port, "127.0.0.1");
    await once(server, "listening");
    return new EmbeddedBroker(aedes, server, (server.address() as net.AddressInfo).port);
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  /** Calls `listener` with every message published from now on; returns the function that stops it. */
  onMessage(listener: (message: BrokerMessage) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async stop(): Promise<void> {
    this.listeners.clear();
    await new Promise<void>((resolve) => this.aedes.close(() => resolve()));
    // Connected clients would keep the server open; the broker has closed them.
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
