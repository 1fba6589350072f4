import { randomBytes } from "node:crypto";
import { z } from "zod";
import {
  clientCertificateFields,
  fieldProblem,
  FieldProblems,
  FlagField,
  flagField as field,
  flagName,
  pemFile,
} from "../../lib/fields";
import { existingPath, numberFrom } from "../../lib/fieldValues";
import { DEFAULT_RESULT_TOPIC, mqttTopicSchema } from "../../contracts/inferenceMessages";

/**
 * The viewer's settings: one table of fields, used by `startViewer` (values named by option) and by the command
 * line (strings named by flag), so both validate the same way and every problem names what the user set.
 */

const DEFAULT_PORTS = { "mqtt:": 1883, "mqtts:": 8883, "wss:": 443 } as const;
export type BrokerProtocol = keyof typeof DEFAULT_PORTS;

export interface BrokerAddress {
  protocol: BrokerProtocol;
  host: string;
  port: number;
}

/** `mqtt://host[:port]`, `mqtts://host[:port]` or `wss://host[:port][/mqtt]`; no credentials in the URL. */
const brokerSchema = z
  .union([z.string(), z.instanceof(URL).transform((u) => u.href)])
  .pipe(
    z
      .string()
      .regex(/^(mqtts?:\/\/[^/:@\s]+(:\d{1,5})?\/?|wss:\/\/[^/:@\s]+(:\d{1,5})?(\/mqtt)?\/?)$/)
      .refine((href) => URL.canParse(href)),
  )
  .transform((href): BrokerAddress => {
    const url = new URL(href);
    const protocol = url.protocol as BrokerProtocol;
    return { protocol, host: url.hostname, port: url.port === "" ? DEFAULT_PORTS[protocol] : Number(url.port) };
  })
  .refine((b) => b.port >= 1 && b.port <= 65535);

export const viewerFields = {
  broker: field({
    flag: "--broker <url>",
    description:
      "mqtt://host[:port] (plain TCP), mqtts://<endpoint>[:8883] (mutual TLS) or wss://<endpoint>/mqtt (SigV4)",
    must: "be a URL like mqtt://127.0.0.1:1883, mqtts://<endpoint>:8883 or wss://<endpoint>/mqtt, without credentials",
    schema: brokerSchema,
  }),
  imagesDir: field({
    flag: "--images <dir>",
    description: "folder the images are served from (the camera folder); without it, boxes are drawn on blank frames",
    must: "be an existing folder",
    schema: existingPath("directory"),
  }),
  port: field({
    flag: "--port <n>",
    description: "HTTP port of the page (0: any free port)",
    must: "be a whole number from 0 to 65535",
    schema: numberFrom(0, 65535, true),
    fallback: 8080,
  }),
  host: field({
    flag: "--host <address>",
    description: "address the page listens on (0.0.0.0: every interface)",
    must: "be a host name or IP address",
    schema: z.string().regex(/^[A-Za-z0-9.:-]{1,253}$/),
    fallback: "127.0.0.1",
  }),
  topic: field({
    flag: "--topic <topic>",
    description: "result topic; errors are read from <topic>/errors",
    must: "be an MQTT topic without wildcards, empty levels or a leading $ (at most 200 characters)",
    schema: mqttTopicSchema,
    fallback: DEFAULT_RESULT_TOPIC,
  }),
  passThreshold: field({
    flag: "--pass-threshold <0..1>",
    description: "an image fails when any detection scores at or above this",
    must: "be a number from 0 to 1",
    schema: numberFrom(0, 1, false),
    fallback: 0.5,
  }),
  history: field({
    flag: "--history <n>",
    description: "recent results (and problems) kept and shown",
    must: "be a whole number from 1 to 1000",
    schema: numberFrom(1, 1000, true),
    fallback: 50,
  }),
  ...clientCertificateFields,
  ca: pemFile("--ca <file>", "mqtts, wss: CA certificate to trust instead of the system's (PEM)"),
  region: field({
    flag: "--region <region>",
    description: "wss: AWS region to sign for (default: from the endpoint, else AWS_REGION)",
    must: "be an AWS region like eu-west-1",
    schema: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/),
  }),
  clientId: field({
    flag: "--client-id <id>",
    description: "MQTT client id (default: qi-viewer-<random>)",
    must: "be 1 to 128 characters without spaces",
    schema: z.string().regex(/^\S{1,128}$/),
  }),
};

export type ViewerField = keyof typeof viewerFields;
type Parsed = { [K in ViewerField]: z.output<(typeof viewerFields)[K]["schema"]> };

export interface ViewerOptions extends Omit<Parsed, "imagesDir" | "cert" | "key" | "ca" | "region" | "clientId"> {
  imagesDir?: string;
  /** mqtts only. */
  tls?: { cert: string; key: string };
  /** mqtts, wss. */
  ca?: string;
  /** wss only: the region SigV4 signs for. */
  region?: string;
  clientId: string;
}

/** What `startViewer` accepts: every field optional but `broker`; numbers as numbers or strings. */
export type ViewerOptionsInput = { broker: string | URL } & {
  [K in Exclude<ViewerField, "broker">]?: z.input<(typeof viewerFields)[K]["schema"]>;
};

export class ViewerOptionsError extends FieldProblems {
  constructor(problems: string[]) {
    super("viewer options", problems);
    this.name = "ViewerOptionsError";
  }
}

/** `--pass-threshold <0..1>` → `--pass-threshold`. */
export function flagNameOf(name: ViewerField): string {
  return flagName(viewerFields[name]);
}

/** `<region>` of an AWS IoT endpoint `<prefix>-ats.iot.<region>.amazonaws.com` (or `.amazonaws.com.cn`). */
export function regionOfEndpoint(host: string): string | undefined {
  return /\.iot\.([a-z]{2}(?:-[a-z]+)+-\d)\.amazonaws\.com(\.cn)?$/.exec(host)?.[1];
}

/**
 * Validates every field at once. `naming` says how problems name a field: by option (`passThreshold`, for
 * `startViewer`) or by flag (`--pass-threshold`, for the command line).
 */
export function parseViewerOptions(
  input: Partial<Record<ViewerField, unknown>>,
  naming: "option" | "flag" = "option",
  env: NodeJS.ProcessEnv = process.env,
  randomId: () => string = () => randomBytes(4).toString("hex"),
): ViewerOptions {
  const nameOf = (name: ViewerField) => (naming === "flag" ? flagNameOf(name) : name);
  const problems: string[] = [];
  const values: Partial<Record<ViewerField, unknown>> = {};
  for (const name of Object.keys(viewerFields) as ViewerField[]) {
    const f: FlagField = viewerFields[name];
    const raw = input[name] ?? f.fallback;
    if (raw === undefined) {
      if (name === "broker") problems.push(`${nameOf(name)} is required and must ${f.must}`);
      continue;
    }
    const parsed = f.schema.safeParse(raw);
    if (parsed.success) values[name] = parsed.data;
    else problems.push(fieldProblem(nameOf(name), f, String(raw)));
  }
  if (problems.length > 0) throw new ViewerOptionsError(problems);

  const v = values as Parsed;
  const { protocol } = v.broker;
  if (protocol === "mqtts:" && (!v.cert || !v.key)) {
    problems.push(`${nameOf("broker")} ${protocol}// uses mutual TLS: set ${nameOf("cert")} and ${nameOf("key")}`);
  }
  if (protocol !== "mqtts:") {
    for (const name of ["cert", "key"] as const) {
      if (v[name]) problems.push(`${nameOf(name)} is only used with an mqtts:// broker`);
    }
  }
  if (protocol === "mqtt:" && v.ca) problems.push(`${nameOf("ca")} is only used with an mqtts:// or wss:// broker`);
  const region =
    protocol === "wss:"
      ? (v.region ?? regionOfEndpoint(v.broker.host) ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION)
      : undefined;
  if (protocol === "wss:" && !region) {
    problems.push(
      `${nameOf("broker")} ${v.broker.host} names no AWS region: set ${nameOf("region")} (or AWS_REGION) to sign for`,
    );
  }
  if (protocol !== "wss:" && v.region) problems.push(`${nameOf("region")} is only used with a wss:// broker`);
  if (problems.length > 0) throw new ViewerOptionsError(problems);

  return {
    broker: v.broker,
    port: v.port,
    host: v.host,
    topic: v.topic,
    passThreshold: v.passThreshold,
    history: v.history,
    clientId: v.clientId ?? `qi-viewer-${randomId()}`,
    ...(v.imagesDir === undefined ? {} : { imagesDir: v.imagesDir }),
    ...(v.cert && v.key ? { tls: { cert: v.cert, key: v.key } } : {}),
    ...(v.ca === undefined ? {} : { ca: v.ca }),
    ...(region === undefined ? {} : { region }),
  };
}

/** The broker as shown to people: `mqtts://host:8883`. */
export function brokerLabel(broker: BrokerAddress): string {
  return `${broker.protocol}//${broker.host}:${broker.port}${broker.protocol === "wss:" ? "/mqtt" : ""}`;
}
