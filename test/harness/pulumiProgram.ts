import { createHash } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { EdgeArtifact } from "../../cloud/fleet";
import { parseStackConfig, PROJECT } from "../../config/schema";
import { readStackConfig } from "../../config/stackFiles";
import { createInfrastructure } from "../../infrastructure";

// waitForRPCs is internal to the SDK but is what `pulumi up` itself awaits before exiting: every registration done.
// getMonitor (internal too) is the mock monitor, whose requests carry the providers handed to remote components.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { waitForRPCs, getMonitor } = require("@pulumi/pulumi/runtime/settings") as {
  waitForRPCs: () => Promise<void>;
  getMonitor: () => MockMonitor;
};

interface MockMonitor {
  registerResource(request: RegisterResourceRequest, callback: RegisterCallback): Promise<void>;
}

type RegisterCallback = (error: unknown, response?: { getUrn(): string }) => void;

/** The parts of the SDK's registration request (a protobuf message) the recorder reads. */
interface RegisterResourceRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getProvidersMap(): { toObject(): [string, string][] };
  getAliasesList(): { toObject(): AliasMessage }[];
}

/** An alias as the SDK sends it: a whole URN, or a spec whose empty fields mean "as the resource's own". */
interface AliasMessage {
  urn: string;
  spec?: { name: string; type: string; stack: string; project: string; parenturn: string; noparent: boolean };
}

export const ACCOUNT_ID = "123456789012";
export const PROJECT_DIR = path.resolve(__dirname, "..", "..");

/** The config the CLI would hand the program for one of the repository's stacks. */
export function readStack(stack: string): Record<string, string> {
  return readStackConfig(PROJECT_DIR, stack);
}

/** A stand-in for the packaged inference component: a small file, so tests need not build the real 20 MB ZIP. */
export function testEdgeArtifact(content = "edge package"): Promise<EdgeArtifact> {
  const zipPath = path.join(mkdtempSync(path.join(tmpdir(), "qi-edge-")), "scratch-detector-linux-x64.zip");
  writeFileSync(zipPath, content);
  return Promise.resolve({ zipPath, sha256: createHash("sha256").update(content).digest("hex") });
}

/** The whole program of one stack under mocks, from its stack file (or `raw` config) and a stand-in edge package. */
export function runStack(
  stack: string,
  raw: Record<string, string> = readStack(stack),
  edgeArtifact = testEdgeArtifact(),
) {
  return runProgram(stack, () => createInfrastructure(parseStackConfig(raw, stack), { edgeArtifact }), raw);
}

/** A resource the program registered, with the inputs it passed (outputs resolved). */
export interface RecordedResource {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
  custom: boolean;
  /** Reference (`<urn>::<id>`) of the provider that manages it; empty for the default provider. */
  provider?: string;
  /** Providers handed to a component by package, as remote (multi-language) components receive them. */
  providers?: Record<string, string>;
  /** Its URN as the engine builds it, and its parent's (empty for the stack's direct children). */
  urn?: string;
  parent?: string;
  /** The URNs its aliases stand for: the URNs an existing stack may know it by. */
  aliases?: string[];
}

/** A data source the program called, and the provider it went through (empty for the default one). */
export interface RecordedCall {
  token: string;
  provider?: string;
}

export interface ProgramRun<T> {
  result: T;
  resources: RecordedResource[];
  calls: RecordedCall[];
  ofType(type: string): RecordedResource[];
  one(type: string, name?: string): RecordedResource;
}

/** Outputs a mocked resource reports beyond its inputs, shaped like what AWS returns. */
function mockOutputs(args: pulumi.runtime.MockResourceArgs): Record<string, unknown> {
  const region = "eu-west-1";
  switch (args.type) {
    case "aws:s3/bucket:Bucket": {
      const bucket = `${args.name}-0a1b2c3d`;
      return { bucket, arn: `arn:aws:s3:::${bucket}` };
    }
    case "aws:iam/role:Role":
      return { name: `${args.name}-role`, arn: `arn:aws:iam::${ACCOUNT_ID}:role/${args.name}` };
    case "aws:iot/certificate:Certificate":
      return {
        arn: `arn:aws:iot:${region}:${ACCOUNT_ID}:cert/${args.name}`,
        certificatePem: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
        privateKey: "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----\n",
      };
    case "aws:iot/thingGroup:ThingGroup":
      return { arn: `arn:aws:iot:${region}:${ACCOUNT_ID}:thinggroup/${args.inputs.name}` };
    case "aws:ssm/parameter:Parameter":
      return { arn: `arn:aws:ssm:${region}:${ACCOUNT_ID}:parameter${args.inputs.name}` };
    case "awsx:ec2:Vpc":
      return { vpcId: "vpc-0123456789", publicSubnetIds: ["subnet-0123456789"], privateSubnetIds: [] };
    default:
      return { arn: `arn:aws:mock:${region}:${ACCOUNT_ID}:${args.type.split(":").pop()}/${args.name}` };
  }
}

/**
 * A URN as the engine builds it: the parent's whole type chain, then the resource's own type and name. (The mock
 * monitor keeps only the parent's own type, so its URNs of resources three components deep are not the engine's.)
 */
function urnOf(parent: string, type: string, name: string, stack = pulumi.getStack(), project = pulumi.getProject()) {
  const chain = parent ? `${parent.split("::")[2]}$${type}` : type;
  return `urn:pulumi:${stack}::${project}::${chain}::${name}`;
}

/** The URN an alias stands for, for a resource registered as `type` `name` under `parent`. */
function aliasUrn(alias: AliasMessage, parent: string, type: string, name: string): string {
  const spec = alias.spec;
  if (!spec) return alias.urn;
  const aliasParent = spec.noparent ? "" : spec.parenturn || parent;
  return urnOf(aliasParent, spec.type || type, spec.name || name, spec.stack || undefined, spec.project || undefined);
}

/** Invokes the program may make; any other call fails the test, so a new data source is a deliberate change. */
function mockCall(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
  switch (args.token) {
    case "aws:index/getCallerIdentity:getCallerIdentity":
      return { accountId: ACCOUNT_ID, arn: `arn:aws:iam::${ACCOUNT_ID}:user/test`, userId: "AIDATEST", id: ACCOUNT_ID };
    case "aws:iot/getEndpoint:getEndpoint": {
      const kind = args.inputs.endpointType === "iot:CredentialProvider" ? "credentials.iot" : "iot";
      return { endpointAddress: `a1b2c3d4e5f6g7-ats.${kind}.eu-west-1.amazonaws.com`, id: "eu-west-1" };
    }
    case "aws:ec2/getAmi:getAmi":
      return {
        id: "ami-0a1b2c3d4e5f67890",
        name: "al2023-ami-2023.6.20261101.0-kernel-6.1-x86_64",
        architecture: "x86_64",
      };
    default:
      throw new Error(`the program called ${args.token}, which the test mocks do not know`);
  }
}

/**
 * Runs a Pulumi program under mocks for one stack and returns every resource it registered. The stack's real config
 * files are loaded into the runtime (as the CLI would) unless `config` replaces them.
 */
export async function runProgram<T>(
  stack: string,
  program: () => T | Promise<T>,
  config: Record<string, string> = readStack(stack),
): Promise<ProgramRun<T>> {
  const resources: RecordedResource[] = [];
  const calls: RecordedCall[] = [];
  const registrations = new Map<string, Pick<RecordedResource, "providers" | "urn" | "parent" | "aliases">>();
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        resources.push({
          type: args.type,
          name: args.name,
          inputs: args.inputs,
          custom: args.custom ?? true,
          provider: args.provider,
          providers: {},
          ...registrations.get(`${args.type}::${args.name}`),
        });
        const state = { ...args.inputs, ...mockOutputs(args) };
        return { id: `${args.name}-id`, state };
      },
      call(args) {
        calls.push({ token: args.token, provider: args.provider });
        return mockCall(args);
      },
    },
    PROJECT,
    stack,
    false,
  );
  const monitor = getMonitor();
  const register = monitor.registerResource.bind(monitor);
  // The mock monitor's URN of each resource → the engine's.
  const engineUrns = new Map<string, string>();
  const engineUrn = (mockUrn: string) => engineUrns.get(mockUrn) ?? mockUrn;
  monitor.registerResource = (request, callback) => {
    const [type, name] = [request.getType(), request.getName()];
    const parent = request.getParent() && engineUrn(request.getParent());
    const urn = urnOf(parent, type, name);
    registrations.set(`${type}::${name}`, {
      providers: Object.fromEntries(request.getProvidersMap().toObject()),
      urn,
      parent,
      aliases: request.getAliasesList().map((message) => {
        const alias = message.toObject();
        if (alias.spec?.parenturn) alias.spec.parenturn = engineUrn(alias.spec.parenturn);
        return aliasUrn(alias, parent, type, name);
      }),
    });
    return register(request, (error, response) => {
      if (response) engineUrns.set(response.getUrn(), urn);
      callback(error, response);
    });
  };
  pulumi.runtime.setAllConfig(config);
  const result = await program();
  await waitForRPCs();
  const ofType = (type: string) => resources.filter((r) => r.type === type);
  return {
    result,
    resources,
    calls,
    ofType,
    one(type, name) {
      const matches = ofType(type).filter((r) => name === undefined || r.name === name);
      if (matches.length !== 1)
        throw new Error(`expected one ${type}${name ? ` named ${name}` : ""}, found ${matches.length}`);
      return matches[0];
    },
  };
}

/** Resolves an Output in a test. */
export function promiseOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply(resolve));
}
