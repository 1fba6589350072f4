import { Readable } from "node:stream";
import { isImageKey } from "../../contracts/dataLake";
import type { LabelRecord } from "../../contracts/labelRecord";
import { pendingKey } from "../../lib/pendingImages";
import { LabelStoreThrottledError, ObjectNotFoundError } from "../../lib/errors";
import type {
  ComponentRegistry,
  ComponentVersionStatus,
  LabelLookup,
  LabelStore,
  Log,
  ObjectStore,
  ObjectUpload,
  StoredObject,
} from "../../lib/ports";

/** The data lake in memory: what a handler wrote can be read back and inspected. */
export class MemoryObjectStore implements ObjectStore {
  readonly objects = new Map<string, { body: Buffer; lastModified: Date }>();

  /**
   * `recordArrivals`: every image put here is also recorded in the pending index at its time, as S3's event through
   * EventBridge and the new-images function do in AWS.
   */
  constructor(
    readonly bucket = "qi-test-lake",
    private readonly options: { recordArrivals?: boolean } = {},
  ) {}

  put(key: string, body: string | Uint8Array, lastModified = new Date("2026-01-01T00:00:00Z")): this {
    this.objects.set(key, { body: Buffer.from(body), lastModified });
    if (this.options.recordArrivals && isImageKey(key)) {
      this.objects.set(pendingKey(key), { body: Buffer.alloc(0), lastModified });
    }
    return this;
  }

  text(key: string): string {
    const object = this.objects.get(key);
    if (!object) throw new Error(`no object ${key}; have ${[...this.objects.keys()].join(", ")}`);
    return object.body.toString("utf8");
  }

  json(key: string): unknown {
    return JSON.parse(this.text(key));
  }

  async *list(prefix: string): AsyncIterable<StoredObject> {
    for (const key of [...this.objects.keys()].filter((k) => k.startsWith(prefix)).sort()) {
      const object = this.objects.get(key)!;
      yield { key, size: object.body.length, lastModified: object.lastModified };
    }
  }

  async read(key: string): Promise<Readable> {
    const object = this.objects.get(key);
    if (!object) throw new ObjectNotFoundError(key);
    // Several chunks, as a network stream would deliver them.
    const chunks: Buffer[] = [];
    for (let i = 0; i < object.body.length; i += 4096) chunks.push(object.body.subarray(i, i + 4096));
    return Readable.from(chunks);
  }

  async write(key: string, body: string | Uint8Array): Promise<void> {
    this.put(key, body, new Date());
  }

  upload(key: string): ObjectUpload {
    const chunks: Buffer[] = [];
    let open = true;
    const ensureOpen = () => {
      if (!open) throw new Error(`the upload of ${key} has ended`);
    };
    return {
      write: async (bytes) => (ensureOpen(), void chunks.push(Buffer.from(bytes))),
      close: async () => (ensureOpen(), (open = false), void this.put(key, Buffer.concat(chunks), new Date())),
      abort: async () => void (open = false),
    };
  }

  async head(key: string): Promise<StoredObject | undefined> {
    const object = this.objects.get(key);
    return object && { key, size: object.body.length, lastModified: object.lastModified };
  }

  async delete(keys: readonly string[]): Promise<void> {
    for (const key of keys) this.objects.delete(key);
  }

  async copy(fromKey: string, toKey: string): Promise<void> {
    const object = this.objects.get(fromKey);
    if (!object) throw new ObjectNotFoundError(fromKey);
    this.objects.set(toKey, { body: object.body, lastModified: new Date() });
  }
}

/** The label store in memory. `invalid` holds ids whose stored record breaks the contract. */
export class MemoryLabelStore implements LabelStore {
  readonly records = new Map<string, LabelRecord>();
  readonly invalid = new Map<string, string>();
  /** Calls of `put` to fail with a throttling error before they succeed. */
  throttleNextPuts = 0;
  puts = 0;

  constructor(records: LabelRecord[] = []) {
    for (const record of records) this.records.set(record.image_id, record);
  }

  async get(imageIds: readonly string[]): Promise<LabelLookup> {
    const lookup: LabelLookup = { found: new Map(), invalid: new Map() };
    for (const id of imageIds) {
      const record = this.records.get(id);
      if (record) lookup.found.set(id, record);
      const reason = this.invalid.get(id);
      if (reason) lookup.invalid.set(id, reason);
    }
    return lookup;
  }

  async put(record: LabelRecord): Promise<void> {
    this.puts += 1;
    if (this.throttleNextPuts > 0) {
      this.throttleNextPuts -= 1;
      throw new LabelStoreThrottledError("throttled");
    }
    this.records.set(record.image_id, record);
  }
}

/** Greengrass component versions in memory; `states` lists the states `describe` reports, one per call. */
export class MemoryComponentRegistry implements ComponentRegistry {
  readonly recipes = new Map<string, unknown>();
  readonly tags = new Map<string, Record<string, string>>();
  states: ComponentVersionStatus["state"][] = [];
  message?: string;

  async create(recipe: string, tags: Record<string, string>): Promise<ComponentVersionStatus | undefined> {
    const parsed = JSON.parse(recipe) as { ComponentName: string; ComponentVersion: string };
    const id = `${parsed.ComponentName}:${parsed.ComponentVersion}`;
    if (this.recipes.has(id)) return undefined;
    this.recipes.set(id, parsed);
    this.tags.set(id, tags);
    return { arn: this.arn(id), state: "REQUESTED" };
  }

  async describe(componentName: string, version: string): Promise<ComponentVersionStatus | undefined> {
    const id = `${componentName}:${version}`;
    if (!this.recipes.has(id)) return undefined;
    return { arn: this.arn(id), state: this.states.shift() ?? "DEPLOYABLE", message: this.message };
  }

  private arn(id: string) {
    return `arn:aws:greengrass:eu-west-1:123456789012:components:${id.replace(":", ":versions:")}`;
  }
}

/** A logger that keeps what it was told, for tests that check warnings. */
export function recordingLog(): Log & {
  entries: { level: string; message: string; extra?: Record<string, unknown> }[];
} {
  const entries: { level: string; message: string; extra?: Record<string, unknown> }[] = [];
  const at = (level: string) => (message: string, extra?: Record<string, unknown>) => {
    entries.push({ level, message, extra });
  };
  return { entries, debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

export const noSleep = async () => undefined;
