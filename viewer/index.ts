import { AddressInfo } from "node:net";
import { errorTopicOf } from "../contracts/inferenceMessages";
import { BrokerConnection, BrokerStatus } from "./src/broker";
import { ViewerHttp } from "./src/http";
import { brokerLabel, parseViewerOptions, ViewerOptions, ViewerOptionsInput } from "./src/options";
import { ViewerState } from "./src/state";

export { ViewerOptionsError } from "./src/options";
export type { ViewerOptions, ViewerOptionsInput } from "./src/options";

export interface Viewer {
  /** Where the page is, e.g. `http://127.0.0.1:8080/`. */
  url: string;
  options: ViewerOptions;
  /** Broker connection state now. */
  broker(): BrokerStatus;
  /** Stops the subscription and the server; open pages see the server go away. */
  close(): Promise<void>;
}

/**
 * Starts the live inspection viewer: subscribes to the result topic and `<topic>/errors` and serves a page that shows
 * each result as it arrives. Options are validated first (`ViewerOptionsError` names every bad one). Resolves once
 * the page is being served; the broker is connected in the background (and reconnected), its state shown on the page.
 */
export function startViewer(input: ViewerOptionsInput, log: (line: string) => void = () => {}): Promise<Viewer> {
  return startParsedViewer(parseViewerOptions(input, "option"), log);
}

/** `startViewer` with options already validated (the command line validates them naming flags). */
export async function startParsedViewer(options: ViewerOptions, log: (line: string) => void): Promise<Viewer> {
  const state = new ViewerState({
    topic: options.topic,
    passThreshold: options.passThreshold,
    history: options.history,
    imagesServed: options.imagesDir !== undefined,
  });
  const broker = new BrokerConnection({
    broker: options.broker,
    clientId: options.clientId,
    topics: [options.topic, errorTopicOf(options.topic)],
    ...(options.tls ? { tls: options.tls } : {}),
    ...(options.ca ? { ca: options.ca } : {}),
    ...(options.region ? { region: options.region } : {}),
  });
  const web = new ViewerHttp(
    () => ({ snapshot: state.snapshot(), broker: broker.status }),
    options.imagesDir,
    (window) => state.parts.charts(window),
  );

  await new Promise<void>((resolve, reject) => {
    const fail = (error: Error) => {
      void web.close().catch(() => undefined);
      reject(new Error(`the viewer cannot listen on ${options.host}:${options.port}: ${error.message}`));
    };
    web.server.once("error", fail);
    web.server.listen(options.port, options.host, () => {
      web.server.off("error", fail);
      resolve();
    });
  });
  const { port } = web.server.address() as AddressInfo;
  const host = options.host.includes(":") ? `[${options.host}]` : options.host;
  const url = `http://${host}:${port}/`;

  broker.on("message", (topic: string, payload: Uint8Array) => {
    const update = state.receive(topic, payload);
    const { event, ...data } = update;
    web.broadcast(event, data);
  });
  broker.on("status", (status: BrokerStatus) => {
    web.broadcast("broker", status);
    log(`broker ${status.state}${status.detail ? `: ${status.detail}` : ""}`);
  });
  broker.start();
  log(`viewer on ${url}, reading ${options.topic} and its /errors from ${brokerLabel(options.broker)}`);

  return {
    url,
    options,
    broker: () => broker.status,
    close: async () => {
      await broker.stop();
      await web.close();
    },
  };
}
