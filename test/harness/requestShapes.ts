import { operationInput, Shape } from "./apiModels";

/**
 * Checks a request against its operation's API model as the service would: unknown and missing required members,
 * types, enum values, lengths, ranges and patterns, through every nested structure, list and map. Each problem is one
 * line naming the member path.
 */
export interface CheckOptions {
  /**
   * A Step Functions `Parameters` block: a `Name.$` key gives member `Name` its value at run time, from a JSONPath
   * or an intrinsic function. The member must exist; where the intrinsic's result type is known, it must fit.
   */
  parameters?: boolean;
  /**
   * An SDK integration's Parameters: member names are PascalCase even where the API's are camelCase
   * (https://docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html, "API naming conventions").
   */
  pascalCase?: boolean;
  /** Members whose value is sent differently than the model says (an optimised integration's), by path. */
  anyValueAt?: string[];
}

/** What an intrinsic function returns, where it is always the same type. */
const INTRINSIC_TYPES: Record<string, string[]> = {
  "States.Format": ["string"],
  "States.JsonToString": ["string"],
  "States.UUID": ["string"],
  "States.Base64Encode": ["string"],
  "States.Base64Decode": ["string"],
  "States.Hash": ["string"],
  "States.Array": ["list"],
  "States.ArrayPartition": ["list"],
  "States.ArrayRange": ["list"],
  "States.MathAdd": ["integer", "long", "float", "double"],
  "States.ArrayLength": ["integer", "long"],
};

function dynamicValue(shape: Shape, expression: unknown, at: string): string[] {
  if (typeof expression !== "string") return [`${at}: a ".$" value must be a JSONPath or an intrinsic function`];
  if (expression.startsWith("$")) return []; // A JSONPath: its type is known only at run time.
  const fn = /^(States\.[A-Za-z]+)\(/.exec(expression)?.[1];
  if (!fn) return [`${at}: "${expression}" is neither a JSONPath nor an intrinsic function`];
  const types = INTRINSIC_TYPES[fn];
  if (types && !types.includes(shape.type))
    return [`${at}: ${fn} gives a ${types[0]}, the model wants a ${shape.type}`];
  return [];
}

const pascal = (name: string) => name[0].toUpperCase() + name.slice(1);

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value);

function lengthOf(value: unknown): number {
  // AWS counts characters (code points) of strings.
  return typeof value === "string"
    ? [...value].length
    : Array.isArray(value)
      ? value.length
      : Object.keys(value!).length;
}

function patternProblem(pattern: string, value: string, at: string): string[] {
  let regex: RegExp;
  try {
    regex = new RegExp(`^(?:${pattern})$`, "u");
  } catch {
    return []; // A Java-only construct; the enum, length and type checks still apply.
  }
  return regex.test(value) ? [] : [`${at}: "${value}" does not match ${pattern}`];
}

function scalarProblems(shape: Shape, value: unknown, at: string): string[] {
  const want = (ok: boolean, what: string) => (ok ? [] : [`${at}: expected ${what}, got ${JSON.stringify(value)}`]);
  switch (shape.type) {
    case "string": {
      if (typeof value !== "string") return want(false, "a string");
      const notListed = shape.enum && !shape.enum.includes(value);
      return [
        ...(notListed ? [`${at}: "${value}" is not one of ${shape.enum!.join(", ")}`] : []),
        ...(shape.pattern ? patternProblem(shape.pattern, value, at) : []),
      ];
    }
    case "integer":
    case "long":
      return want(Number.isInteger(value), "a whole number");
    case "float":
    case "double":
      return want(typeof value === "number", "a number");
    case "boolean":
      return want(typeof value === "boolean", "true or false");
    case "timestamp":
      return want(typeof value === "number" || typeof value === "string" || value instanceof Date, "a timestamp");
    case "blob":
      return want(typeof value === "string" || Buffer.isBuffer(value) || value instanceof Uint8Array, "bytes");
    default:
      return [`${at}: the model has a ${shape.type}, which this checker does not know`];
  }
}

function boundsProblems(shape: Shape, value: unknown, at: string): string[] {
  const measured = typeof value === "number" ? value : lengthOf(value);
  const what = typeof value === "number" ? "" : "length ";
  const problems: string[] = [];
  if (shape.min !== undefined && measured < shape.min) problems.push(`${at}: ${what}${measured} is below ${shape.min}`);
  if (shape.max !== undefined && measured > shape.max) problems.push(`${at}: ${what}${measured} is above ${shape.max}`);
  return problems;
}

function structureProblems(shape: Shape, value: unknown, at: string, options: CheckOptions): string[] {
  if (!isObject(value)) return [`${at}: expected a structure, got ${JSON.stringify(value)}`];
  const members: Record<string, Shape> = {};
  for (const [name, member] of Object.entries(shape.members ?? {})) {
    Object.defineProperty(members, options.pascalCase ? pascal(name) : name, { get: () => member, enumerable: true });
  }
  const problems: string[] = [];
  const given = new Set<string>();
  for (const [key, member] of Object.entries(value)) {
    const dynamic = options.parameters && key.endsWith(".$");
    const name = dynamic ? key.slice(0, -2) : key;
    const memberAt = at ? `${at}.${name}` : name;
    if (!(name in members)) {
      problems.push(`${memberAt}: no such member (the model has ${Object.keys(members).join(", ") || "none"})`);
      continue;
    }
    if (member === undefined || member === null) continue;
    given.add(name);
    if (dynamic) problems.push(...dynamicValue(members[name], member, memberAt));
    else problems.push(...shapeProblems(members[name], member, memberAt, options));
  }
  for (const required of shape.required ?? []) {
    const name = options.pascalCase ? pascal(required) : required;
    if (!given.has(name)) problems.push(`${at ? `${at}.` : ""}${name}: required, missing`);
  }
  return problems;
}

function shapeProblems(shape: Shape, value: unknown, at: string, options: CheckOptions): string[] {
  if (options.anyValueAt?.includes(at)) return [];
  switch (shape.type) {
    case "structure":
      return structureProblems(shape, value, at, options);
    case "list":
      if (!Array.isArray(value)) return [`${at}: expected a list, got ${JSON.stringify(value)}`];
      return [
        ...boundsProblems(shape, value, at),
        ...value.flatMap((item, i) => shapeProblems(shape.member!, item, `${at}[${i}]`, options)),
      ];
    case "map":
      if (!isObject(value)) return [`${at}: expected a map, got ${JSON.stringify(value)}`];
      return [
        ...boundsProblems(shape, value, at),
        ...Object.entries(value).flatMap(([key, item]) => [
          ...shapeProblems(shape.key!, key, `${at} key "${key}"`, {}),
          ...(options.parameters && key.endsWith(".$")
            ? dynamicValue(shape.value!, item, `${at}.${key}`)
            : shapeProblems(shape.value!, item, `${at}.${key}`, options)),
        ]),
      ];
    default: {
      const problems = scalarProblems(shape, value, at);
      const typed = typeof value === "number" || typeof value === "string";
      return typed && !problems.some((p) => p.includes(": expected "))
        ? [...problems, ...boundsProblems(shape, value, at)]
        : problems;
    }
  }
}

/** Problems of one request to `service` (aws-sdk's name: `sagemaker`, `greengrassv2`…) `operation`; [] if none. */
export function requestProblems(
  service: string,
  operation: string,
  request: unknown,
  options: CheckOptions = {},
): string[] {
  return shapeProblems(operationInput(service, operation), request, "", options).map(
    (problem) => `${service} ${operation} ${problem}`,
  );
}

/** Throws a ValidationException-like error naming every problem, as the service would refuse the request. */
export function assertValidRequest(service: string, operation: string, request: unknown, options?: CheckOptions): void {
  const problems = requestProblems(service, operation, request, options);
  if (problems.length > 0) throw Object.assign(new Error(problems.join("; ")), { name: "ValidationException" });
}
