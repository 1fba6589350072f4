import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { gunzipSync } from "node:zlib";

/**
 * AWS's published API models, to check a request the way the service validates it. Two sources, both Apache-2.0:
 * - the aws-sdk (v2) package's `apis/<service>-<version>.min.json` (a dev dependency, always here): operations,
 *   members, required members and types of every nested structure, list and map;
 * - botocore's full models (`data/<service>/<version>/service-2.json[.gz]`, Debian's python3-botocore or pip's):
 *   what the minified v2 files leave out, enum values, lengths, ranges and patterns. Where botocore is missing, only
 *   the first half is checked, and `constraintsAvailable()` says so (the tests that need it skip or, in CI, fail).
 */
export interface Shape {
  type: string;
  required?: string[];
  members?: Record<string, Shape>;
  member?: Shape;
  key?: Shape;
  value?: Shape;
  enum?: string[];
  min?: number;
  max?: number;
  pattern?: string;
}

interface RawShape extends Omit<Shape, "members" | "member" | "key" | "value"> {
  shape?: string;
  members?: Record<string, RawShape>;
  member?: RawShape;
  key?: RawShape;
  value?: RawShape;
}
interface RawModel {
  operations: Record<string, { input?: RawShape }>;
  shapes: Record<string, RawShape>;
}

const V2_APIS = path.dirname(require.resolve("aws-sdk/apis/metadata.json"));
const V2_METADATA = JSON.parse(readFileSync(path.join(V2_APIS, "metadata.json"), "utf8")) as Record<
  string,
  { prefix?: string }
>;

/** The newest model file of a service: `<dir>/<prefix>-<version>.min.json`. */
function v2ModelFile(service: string): string {
  const entry = V2_METADATA[service];
  if (!entry) throw new Error(`aws-sdk has no service "${service}" (see aws-sdk/apis/metadata.json)`);
  const prefix = entry.prefix ?? service;
  const files = readdirSync(V2_APIS)
    .filter((file) => new RegExp(`^${prefix}-\\d{4}-\\d{2}-\\d{2}\\.min\\.json$`).test(file))
    .sort();
  if (files.length === 0) throw new Error(`aws-sdk ships no model for ${service}`);
  return path.join(V2_APIS, files[files.length - 1]);
}

let botocoreDir: string | null | undefined;
/** botocore's data folder, wherever python3 finds it; null where it is not installed. */
function botocoreData(): string | null {
  if (botocoreDir !== undefined) return botocoreDir;
  try {
    const script = "import botocore, os; print(os.path.join(os.path.dirname(botocore.__file__), 'data'))";
    botocoreDir = execFileSync("python3", ["-c", script], { encoding: "utf8", stdio: "pipe" }).trim();
  } catch {
    botocoreDir = null;
  }
  return botocoreDir;
}

/** Whether enum values, lengths, ranges and patterns are checked (botocore is installed). */
export function constraintsAvailable(): boolean {
  return botocoreData() !== null;
}

function fullModel(service: string): RawModel | undefined {
  const data = botocoreData();
  if (!data) return undefined;
  for (const name of [service, V2_METADATA[service]?.prefix].filter((n): n is string => !!n)) {
    const dir = path.join(data, name);
    if (!existsSync(dir)) continue;
    const version = readdirSync(dir).sort().pop()!;
    for (const file of ["service-2.json", "service-2.json.gz"]) {
      const at = path.join(dir, version, file);
      if (!existsSync(at)) continue;
      const bytes = readFileSync(at);
      return JSON.parse((file.endsWith(".gz") ? gunzipSync(bytes) : bytes).toString("utf8")) as RawModel;
    }
  }
  return undefined;
}

const CONSTRAINTS = ["enum", "min", "max", "pattern"] as const;

/** aws-sdk v3 clients the project has, by v2 service name: their enums may be newer than an older botocore's. */
const V3_CLIENTS: Record<string, string> = {
  sagemaker: "@aws-sdk/client-sagemaker",
  greengrassv2: "@aws-sdk/client-greengrassv2",
  stepfunctions: "@aws-sdk/client-sfn",
  sns: "@aws-sdk/client-sns",
};

/**
 * Values the service's v3 client exports for the enum shape `name` (e.g. `TargetDevice`): values added since the
 * installed botocore was released (Debian's is older) are still AWS's. Empty where there is no such client or enum.
 */
function newerEnumValues(service: string, name: string): string[] {
  const client = V3_CLIENTS[service];
  if (!client) return [];
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const exported = (require(client) as Record<string, unknown>)[name];
  return exported && typeof exported === "object" ? Object.values(exported).filter((v) => typeof v === "string") : [];
}

/** A shape with its references followed; `full` is the same shape in botocore's model, for its constraints. */
function resolve(
  service: string,
  model: RawModel,
  raw: RawShape,
  full: RawModel | undefined,
  fullRaw: RawShape | undefined,
): Shape {
  const own = raw.shape ? { ...model.shapes[raw.shape], ...raw, shape: undefined } : raw;
  const fullOwn = fullRaw?.shape && full ? { ...full.shapes[fullRaw.shape] } : fullRaw;
  const shape: Shape = { type: own.type ?? "string" };
  if (own.required) shape.required = own.required;
  for (const constraint of CONSTRAINTS) {
    const value = (fullOwn as Record<string, unknown> | undefined)?.[constraint];
    if (value !== undefined) (shape as unknown as Record<string, unknown>)[constraint] = value;
  }
  if (shape.enum && fullRaw?.shape)
    shape.enum = [...new Set([...shape.enum, ...newerEnumValues(service, fullRaw.shape)])];
  // Nested shapes resolve lazily: API models are recursive (a structure may contain itself).
  const lazy = (name: "member" | "key" | "value") => {
    if (!own[name]) return;
    Object.defineProperty(shape, name, {
      enumerable: true,
      get: () => resolve(service, model, own[name]!, full, fullOwn?.[name]),
    });
  };
  lazy("member");
  lazy("key");
  lazy("value");
  if (own.members) {
    const members: Record<string, Shape> = {};
    for (const [name, member] of Object.entries(own.members)) {
      Object.defineProperty(members, name, {
        enumerable: true,
        get: () => resolve(service, model, member, full, fullOwn?.members?.[name]),
      });
    }
    shape.members = members;
  }
  return shape;
}

const models = new Map<string, { v2: RawModel; full?: RawModel }>();

function load(service: string): { v2: RawModel; full?: RawModel } {
  let loaded = models.get(service);
  if (!loaded) {
    loaded = { v2: JSON.parse(readFileSync(v2ModelFile(service), "utf8")) as RawModel, full: fullModel(service) };
    models.set(service, loaded);
  }
  return loaded;
}

/** The input shape of one operation (`sagemaker`, `CreateCompilationJob`); throws on an unknown service or operation. */
export function operationInput(service: string, operation: string): Shape {
  const { v2, full } = load(service);
  const op = v2.operations[operation];
  if (!op) throw new Error(`${service} has no operation ${operation}`);
  return resolve(service, v2, op.input ?? { type: "structure", members: {} }, full, full?.operations[operation]?.input);
}
