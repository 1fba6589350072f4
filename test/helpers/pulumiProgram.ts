import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { PROJECT } from "../../config/schema";
import { readStackConfig } from "../../config/stackFiles";

// waitForRPCs is internal to the SDK but is what `pulumi up` itself awaits before exiting: every registration done.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { waitForRPCs } = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs: () => Promise<void> };

export const ACCOUNT_ID = "123456789012";
export const PROJECT_DIR = path.resolve(__dirname, "..", "..");

/** The config the CLI would hand the program for one of the repository's stacks. */
export function readStack(stack: string): Record<string, string> {
  return readStackConfig(PROJECT_DIR, stack);
}

/** A resource the program registered, with the inputs it passed (outputs resolved). */
export interface RecordedResource {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
  custom: boolean;
}

export interface ProgramRun<T> {
  result: T;
  resources: RecordedResource[];
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
    default:
      return { arn: `arn:aws:mock:${region}:${ACCOUNT_ID}:${args.type.split(":").pop()}/${args.name}` };
  }
}

/** Invokes the program may make; any other call fails the test, so a new data source is a deliberate change. */
function mockCall(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
  switch (args.token) {
    case "aws:index/getCallerIdentity:getCallerIdentity":
      return { accountId: ACCOUNT_ID, arn: `arn:aws:iam::${ACCOUNT_ID}:user/test`, userId: "AIDATEST", id: ACCOUNT_ID };
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
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        resources.push({ type: args.type, name: args.name, inputs: args.inputs, custom: args.custom ?? true });
        const state = { ...args.inputs, ...mockOutputs(args) };
        return { id: `${args.name}-id`, state };
      },
      call: mockCall,
    },
    PROJECT,
    stack,
    false,
  );
  pulumi.runtime.setAllConfig(config);
  const result = await program();
  await waitForRPCs();
  const ofType = (type: string) => resources.filter((r) => r.type === type);
  return {
    result,
    resources,
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
