import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { DEFAULT_RESULT_TOPIC } from "../../contracts/inferenceMessages";
import { silentLog } from "../../edge/src/log";
import { MqttTransport } from "../../edge/src/transports/mqtt";
import { startViewer, Viewer } from "../../viewer";
import { BrokerStatus } from "../../viewer/src/broker";
import { ResultEntry } from "../../viewer/src/state";
import { freePort, makeCertificates, MOSQUITTO, Mosquitto, NO_MOSQUITTO } from "../processes/mosquitto";
import { EventStream } from "../harness/sse";
import { result } from "../harness/viewerMessages";
import { eventually } from "../harness/wait";
import { WebSocketMqttBridge } from "../processes/websocketBridge";
import { skipBecause } from "../harness/skip";

const TOPIC = DEFAULT_RESULT_TOPIC;

/** The AWS IoT Core connection paths, against local stand-ins: mosquitto with mutual TLS, and MQTT over wss. */
describe("viewer over TLS: mutual TLS (mosquitto) and WebSocket with SigV4", function () {
  const dir = mkdtempSync(path.join(os.tmpdir(), "qi-viewer-tls-"));
  let certificates: ReturnType<typeof makeCertificates>;
  const viewers: Viewer[] = [];
  const streams: EventStream[] = [];

  async function openViewer(
    options: Parameters<typeof startViewer>[0],
  ): Promise<{ viewer: Viewer; stream: EventStream }> {
    const viewer = await startViewer({ port: 0, ...options });
    viewers.push(viewer);
    const stream = await EventStream.open(`${viewer.url}events`);
    streams.push(stream);
    return { viewer, stream };
  }

  before(function () {
    certificates = makeCertificates(path.join(dir, "certs"));
    if (!certificates) skipBecause(this, "openssl is not installed");
  });

  afterEach(async () => {
    for (const stream of streams.splice(0)) stream.close();
    for (const viewer of viewers.splice(0)) await viewer.close();
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  describe("mutual TLS (the mqtts://<endpoint>:8883 path)", () => {
    let broker: Mosquitto;
    let publisher: MqttTransport;

    before(async function () {
      if (!MOSQUITTO) skipBecause(this, `${NO_MOSQUITTO}`);
      const { ca, server } = certificates!;
      broker = await Mosquitto.create(path.join(dir, "mosquitto"), { port: await freePort(), ca, ...server });
      await broker.start();
      // The edge detector's own MQTT 5 transport publishes on the plain listener.
      publisher = new MqttTransport({
        broker: new URL(broker.url),
        clientId: "qi-test-edge",
        ackTimeoutSeconds: 10,
        protocol: "5",
        log: silentLog,
      });
      publisher.start();
      await eventually(() => publisher.connected, "the publisher's connection");
    });

    after(async () => {
      await publisher?.stop();
      await broker?.stop();
    });

    it("subscribes with a client certificate and receives what the edge publishes", async () => {
      const { ca, client } = certificates!;
      const { stream } = await openViewer({
        broker: `mqtts://127.0.0.1:${broker.tls!.port}`,
        cert: client.cert,
        key: client.key,
        ca,
      });
      await stream.next<BrokerStatus>("broker", (s) => s.state === "connected", 30_000);
      const message = result("part-001.jpg", [{ score: 0.9, box: [1, 2, 30, 40] }], { seed: "mtls" });
      await publisher.publish(TOPIC, Buffer.from(JSON.stringify(message)));
      const { entry } = await stream.next<{ entry: ResultEntry }>("result");
      expect(entry).to.deep.include({ messageId: message.messageId, passed: false });
    });
  });

  describe("WebSocket signed with SigV4 (the wss://<endpoint>/mqtt path)", () => {
    let bridge: WebSocketMqttBridge;
    const saved = { ...process.env };

    before(async () => {
      bridge = await WebSocketMqttBridge.start(certificates!.server);
      // The standard credential chain starts with the environment.
      process.env.AWS_ACCESS_KEY_ID = "AKIAVIEWERTEST000001";
      process.env.AWS_SECRET_ACCESS_KEY = "viewer-test-secret";
      delete process.env.AWS_SESSION_TOKEN;
    });

    after(async () => {
      for (const name of ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"]) {
        if (saved[name] === undefined) delete process.env[name];
        else process.env[name] = saved[name];
      }
      await bridge?.stop();
    });

    it("signs the upgrade to /mqtt for iotdevicegateway in the region, retries a refusal, then receives", async () => {
      // IoT Core answers a bad signature or a missing policy with an HTTP error instead of the upgrade.
      bridge.refuse = 1;
      const { stream } = await openViewer({
        broker: `wss://127.0.0.1:${bridge.port}/mqtt`,
        region: "eu-central-1",
        ca: certificates!.ca,
      });
      await stream.next<BrokerStatus>("broker", (s) => s.state === "connected", 30_000);

      expect(bridge.upgrades).to.have.length(2);
      const upgrade = new URL(bridge.upgrades[1].url, "https://endpoint");
      expect(upgrade.pathname).to.equal("/mqtt");
      expect(upgrade.searchParams.get("X-Amz-Algorithm")).to.equal("AWS4-HMAC-SHA256");
      expect(upgrade.searchParams.get("X-Amz-Credential")).to.match(
        /^AKIAVIEWERTEST000001\/\d{8}\/eu-central-1\/iotdevicegateway\/aws4_request$/,
      );
      expect(upgrade.searchParams.get("X-Amz-Signature")).to.match(/^[0-9a-f]{64}$/);
      expect(bridge.upgrades[1].headers["sec-websocket-protocol"]).to.equal("mqtt");

      const message = result("part-002.jpg", [], { seed: "wss" });
      await bridge.publish(TOPIC, message);
      const { entry } = await stream.next<{ entry: ResultEntry }>("result");
      expect(entry).to.deep.include({ messageId: message.messageId, passed: true });
    });
  });
});
