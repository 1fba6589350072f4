import { GreengrassV2Client } from "@aws-sdk/client-greengrassv2";
import { z } from "zod";
import { greengrassComponentRegistry } from "../../lib/aws/greengrassComponentRegistry";
import { dataLakeFromEnv } from "../../lib/aws/s3ObjectStore";
import { readEnv } from "../../lib/env";
import { createLogger } from "../shared/logger";
import { createModelComponent } from "./handler";

const { COMPONENT_ARN_PREFIX } = readEnv({ COMPONENT_ARN_PREFIX: z.string().startsWith("arn:") });
const deps = {
  objects: dataLakeFromEnv(),
  components: greengrassComponentRegistry(new GreengrassV2Client({}), COMPONENT_ARN_PREFIX),
  log: createLogger("create-model-component"),
};

export const handler = (event: unknown) => createModelComponent(event, deps);
