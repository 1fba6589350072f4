import { DATA_LAKE_PREFIXES } from "../contracts/dataLake";
import type { ObjectStore } from "../lib/ports";
import type { EmbeddedBroker } from "./broker";

/**
 * The stack's IoT rule, locally (components/deviceResultsRule.ts): every message on the results topic is stored as
 * its device's latest result, `device-results/<thingName>.json`, where the pipeline's CheckFleetResults reads it.
 * Returns a function that stops listening.
 */
export function storeDeviceResults(broker: EmbeddedBroker, topic: string, objects: ObjectStore): () => void {
  return broker.onMessage((message) => {
    if (message.topic !== topic) return;
    let thingName: unknown;
    try {
      thingName = (JSON.parse(message.payload.toString("utf8")) as { thingName?: unknown }).thingName;
    } catch {
      return;
    }
    // The IoT rule cannot name a key without a thing name either; a name with a / would leave the folder.
    if (typeof thingName !== "string" || !/^[A-Za-z0-9:_-]{1,128}$/.test(thingName)) return;
    void objects.write(`${DATA_LAKE_PREFIXES.deviceResults}${thingName}.json`, message.payload, "application/json");
  });
}
