import {
  CancelDeploymentCommand,
  DeleteComponentCommand,
  DeleteCoreDeviceCommand,
  DeleteDeploymentCommand,
  GetCoreDeviceCommand,
  GreengrassV2Client,
  ListComponentsCommand,
  ListComponentVersionsCommand,
  ListDeploymentsCommand,
} from "@aws-sdk/client-greengrassv2";
import type { AwsClientStub } from "aws-sdk-client-mock";

const COMPONENTS = "arn:aws:greengrass:eu-west-1:123456789012:components:";
export const componentArn = (name: string) => `${COMPONENTS}${name}`;
export const componentVersionArn = (name: string, version: string) => `${COMPONENTS}${name}:versions:${version}`;
export const thingGroupArn = (name: string) => `arn:aws:iot:eu-west-1:123456789012:thinggroup/${name}`;

/** An AWS service error, named as the SDK names the exceptions it parses. */
export const awsError = (name: string, message = name) => Object.assign(new Error(message), { name });

export interface FakeDeployment {
  deploymentId: string;
  deploymentName: string;
  targetArn: string;
  deploymentStatus: "ACTIVE" | "CANCELED" | "COMPLETED" | "FAILED" | "INACTIVE";
  isLatestForTarget: boolean;
  /** Component versions it deploys, as `<name>:<version>`. */
  components: string[];
}

interface Refusal {
  action: string;
  when: (input: Record<string, unknown>) => boolean;
  error: Error;
}

/**
 * Greengrass V2 (a REST-JSON API, so aws-sdk-client-mock stands in for HTTP) as state: deployments, component
 * versions and core devices, with the rules cleanup depends on — an active deployment cannot be deleted before it is
 * cancelled, and deleting a version an active deployment uses breaks that deployment (recorded in `broken`).
 */
export class FakeGreengrass {
  readonly deployments: FakeDeployment[] = [];
  readonly components = new Map<string, string[]>();
  readonly coreDevices = new Set<string>();
  /** Every call, in order, as `<Action> <what>`. */
  readonly calls: string[] = [];
  readonly refusals: Refusal[] = [];
  /** Errors for the next calls of an action, in order. */
  readonly failures = new Map<string, Error[]>();
  /** Deployments that lost a component version while active. */
  readonly broken: string[] = [];
  pageSize = 2;

  changes(): string[] {
    return this.calls.filter((c) => /^(Cancel|Delete)/.test(c));
  }

  private run<T>(action: string, what: string, input: Record<string, unknown>, handle: () => T): T {
    this.calls.push(`${action} ${what}`.trim());
    const injected = this.failures.get(action)?.shift();
    if (injected) throw injected;
    const refusal = this.refusals.find((r) => r.action === action && r.when(input));
    if (refusal) throw refusal.error;
    return handle();
  }

  private page<T>(all: T[], nextToken: unknown): { items: T[]; nextToken?: string } {
    const from = nextToken ? Number(nextToken) : 0;
    const to = Math.min(all.length, from + this.pageSize);
    return { items: all.slice(from, to), nextToken: to < all.length ? String(to) : undefined };
  }

  private deployment(id: unknown): FakeDeployment {
    const found = this.deployments.find((d) => d.deploymentId === id);
    if (!found) throw awsError("ResourceNotFoundException", `deployment ${id} not found`);
    return found;
  }

  install(stub: AwsClientStub<GreengrassV2Client>): void {
    // Answers are promises, as the SDK's are; a thrown error becomes a rejection.
    const on = <I extends Record<string, unknown>>(
      command: new (input: never) => unknown,
      fake: (input: I) => unknown,
    ) => stub.on(command as never).callsFake(async (input: I) => fake(input));

    on(ListDeploymentsCommand, (input) =>
      this.run("ListDeployments", "", input, () => {
        // Without historyFilter ALL, Greengrass lists only each target's latest revision.
        const listed = this.deployments.filter((d) => input.historyFilter === "ALL" || d.isLatestForTarget);
        const { items, nextToken } = this.page(listed, input.nextToken);
        return { deployments: items.map(({ components: _, ...d }) => d), nextToken };
      }),
    );
    on(CancelDeploymentCommand, (input) =>
      this.run("CancelDeployment", String(input.deploymentId), input, () => {
        const deployment = this.deployment(input.deploymentId);
        if (deployment.deploymentStatus !== "ACTIVE") throw awsError("ConflictException", "deployment is not active");
        deployment.deploymentStatus = "CANCELED";
        return {};
      }),
    );
    on(DeleteDeploymentCommand, (input) =>
      this.run("DeleteDeployment", String(input.deploymentId), input, () => {
        const deployment = this.deployment(input.deploymentId);
        if (deployment.deploymentStatus === "ACTIVE") {
          throw awsError("ConflictException", "To delete an active deployment, you must first cancel it");
        }
        this.deployments.splice(this.deployments.indexOf(deployment), 1);
        return {};
      }),
    );
    on(ListComponentsCommand, (input) =>
      this.run("ListComponents", "", input, () => {
        if (input.scope !== "PRIVATE") throw awsError("ValidationException", "expected scope PRIVATE");
        const { items, nextToken } = this.page([...this.components.keys()], input.nextToken);
        return { components: items.map((name) => ({ componentName: name, arn: componentArn(name) })), nextToken };
      }),
    );
    on(ListComponentVersionsCommand, (input) =>
      this.run("ListComponentVersions", String(input.arn), input, () => {
        const name = String(input.arn).slice(COMPONENTS.length);
        const versions = this.components.get(name);
        if (!versions) throw awsError("ResourceNotFoundException", `component ${input.arn} not found`);
        const { items, nextToken } = this.page(versions, input.nextToken);
        return {
          componentVersions: items.map((v) => ({
            componentName: name,
            componentVersion: v,
            arn: componentVersionArn(name, v),
          })),
          nextToken,
        };
      }),
    );
    on(DeleteComponentCommand, (input) =>
      this.run("DeleteComponent", String(input.arn), input, () => {
        const [, name, version] = /^.*:components:(.+):versions:(.+)$/.exec(String(input.arn)) ?? [];
        const versions = this.components.get(name);
        if (!versions?.includes(version)) throw awsError("ResourceNotFoundException", `${input.arn} not found`);
        for (const d of this.deployments) {
          if (d.deploymentStatus === "ACTIVE" && d.components.includes(`${name}:${version}`)) {
            this.broken.push(d.deploymentId);
          }
        }
        versions.splice(versions.indexOf(version), 1);
        if (versions.length === 0) this.components.delete(name);
        return {};
      }),
    );
    on(GetCoreDeviceCommand, (input) =>
      this.run("GetCoreDevice", String(input.coreDeviceThingName), input, () => {
        if (!this.coreDevices.has(String(input.coreDeviceThingName))) {
          throw awsError("ResourceNotFoundException", "core device not found");
        }
        return { coreDeviceThingName: input.coreDeviceThingName, status: "HEALTHY" };
      }),
    );
    on(DeleteCoreDeviceCommand, (input) =>
      this.run("DeleteCoreDevice", String(input.coreDeviceThingName), input, () => {
        if (!this.coreDevices.delete(String(input.coreDeviceThingName))) {
          throw awsError("ResourceNotFoundException", "core device not found");
        }
        return {};
      }),
    );
  }
}
