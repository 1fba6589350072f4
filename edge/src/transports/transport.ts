import { EventEmitter } from "node:events";

/**
 * How results leave the device. A transport connects on its own after `start()` and keeps reconnecting; it emits
 * `connected` and `disconnected`. `publish` resolves only when the other side has taken responsibility for the
 * message (MQTT PUBACK, or Greengrass's PublishToIoTCore response) and rejects otherwise.
 */
export interface Transport extends EventEmitter {
  readonly name: string;
  readonly connected: boolean;
  start(): void;
  publish(topic: string, payload: Buffer): Promise<void>;
  /** Delivers every message on `topic` to `onMessage`, subscribing again after each reconnect (triggers). */
  subscribe?(topic: string, onMessage: (payload: Buffer) => void): void;
  /** Disconnects and frees native resources; pending publishes fail. */
  stop(): Promise<void>;
}

export class NotConnectedError extends Error {
  override name = "NotConnectedError";
}

/** Rejects with a clear message when `promise` takes longer than `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
