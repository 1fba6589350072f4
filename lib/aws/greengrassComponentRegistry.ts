import {
  CreateComponentVersionCommand,
  DescribeComponentCommand,
  GreengrassV2Client,
} from "@aws-sdk/client-greengrassv2";
import type { ComponentRegistry, ComponentState } from "../ports";

const isNamed = (error: unknown, name: string) => error instanceof Error && error.name === name;

/**
 * Greengrass V2 component versions. `componentArnPrefix` is `arn:<partition>:greengrass:<region>:<account>:components:`,
 * which DescribeComponent needs to name a version.
 */
export function greengrassComponentRegistry(client: GreengrassV2Client, componentArnPrefix: string): ComponentRegistry {
  return {
    async create(recipe, tags) {
      try {
        const response = await client.send(
          new CreateComponentVersionCommand({ inlineRecipe: Buffer.from(recipe, "utf8"), tags }),
        );
        return {
          arn: response.arn ?? "",
          state: (response.status?.componentState ?? "REQUESTED") as ComponentState,
          message: response.status?.message,
        };
      } catch (error) {
        if (isNamed(error, "ConflictException")) return undefined;
        throw error;
      }
    },
    async describe(componentName, version) {
      const arn = `${componentArnPrefix}${componentName}:versions:${version}`;
      try {
        const response = await client.send(new DescribeComponentCommand({ arn }));
        const errors = Object.values(response.status?.errors ?? {});
        return {
          arn,
          state: (response.status?.componentState ?? "REQUESTED") as ComponentState,
          message: [response.status?.message, ...errors].filter(Boolean).join("; ") || undefined,
        };
      } catch (error) {
        if (isNamed(error, "ResourceNotFoundException")) return undefined;
        throw error;
      }
    },
  };
}
