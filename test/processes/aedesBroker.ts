import { once } from "node:events";
import net from "node:net";
import { Aedes } from "aedes";

/**
 * A real MQTT 3.1.1 broker in this process (aedes, as the offline run embeds), on a fixed port so that it can be
 * stopped and started again like a broker restart. Messages are published through the broker itself.
 */
export class AedesBroker {
  private aedes?: Aedes;
  private server?: net.Server;
  private readonly subscriptions = new Map<string, Set<string>>();
  private constructor(public port: number) {}

  static async start(port = 0): Promise<AedesBroker> {
    const broker = new AedesBroker(port);
    await broker.start();
    return broker;
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  /** Clients subscribed to `topic` right now: a subscriber is ready once it is counted here. */
  subscribers(topic: string): number {
    return [...this.subscriptions.values()].filter((topics) => topics.has(topic)).length;
  }

  async start(): Promise<void> {
    const aedes = await Aedes.createBroker();
    this.subscriptions.clear();
    aedes.on("subscribe", (subscriptions, client) => {
      const topics = this.subscriptions.get(client.id) ?? new Set<string>();
      for (const s of subscriptions) topics.add(s.topic);
      this.subscriptions.set(client.id, topics);
    });
    aedes.on("clientDisconnect", (client) => this.subscriptions.delete(client.id));
    const server = net.createServer(aedes.handle);
    server.listen(this.port, "127.0.0.1");
    await once(server, "listening");
    this.port = (server.address() as net.AddressInfo).port;
    this.aedes = aedes;
    this.server = server;
  }

  /** Closes every client connection and the listener, as a broker that goes down. */
  async stop(): Promise<void> {
    const { aedes, server } = this;
    this.aedes = undefined;
    this.server = undefined;
    if (!aedes || !server) return;
    const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    await serverClosed;
  }

  publish(topic: string, payload: string | object): Promise<void> {
    const aedes = this.aedes;
    if (!aedes) throw new Error("the broker is stopped");
    const body = typeof payload === "string" ? payload : JSON.stringify(payload);
    return new Promise((resolve, reject) =>
      aedes.publish(
        { cmd: "publish", topic, payload: Buffer.from(body), qos: 1, retain: false, dup: false },
        (error) => (error ? reject(error) : resolve()),
      ),
    );
  }
}
