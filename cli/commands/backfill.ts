import type { Command } from "commander";
import { SageMakerFeatureStoreRuntimeClient } from "@aws-sdk/client-sagemaker-featurestore-runtime";
import { z } from "zod";
import { DATA_LAKE_PREFIXES } from "../../contracts/dataLake";
import { featureStoreLabelStore } from "../../lib/aws/featureStoreLabelStore";
import { s3ObjectStore } from "../../lib/aws/s3ObjectStore";
import { backfillPending } from "../../lib/backfillPending";
import type { LabelStore, ObjectStore } from "../../lib/ports";
import type { CommandContext } from "../context";
import type { CliEnvironment } from "../environment";
import { CliError } from "../errors";
import { check, flag } from "../flags";
import { stackOutputs } from "../stack";

const prefixSchema = z
  .string()
  .refine(
    (prefix) => prefix.startsWith(DATA_LAKE_PREFIXES.images) && prefix.endsWith("/") && !prefix.includes(".."),
    `--prefix must be a folder under ${DATA_LAKE_PREFIXES.images} ending in / (for example images/line-1/)`,
  );

/**
 * `backfill`: records the images stored before the pending index existed (a migrated lake) in it, once, so that the
 * next runs label them; every run after it lists only what is new (docs/decisions.md, "A run costs what is new").
 */
export function register(program: Command, context: CommandContext): void {
  program
    .command("backfill")
    .description("record images stored before the pending index existed in it, once (a migrated data lake)")
    .option("--stack <stack>", "the Pulumi stack (default: the selected stack)")
    .option("--prefix <prefix>", "only images under this folder", DATA_LAKE_PREFIXES.images)
    .option("--dry-run", "only count what would be recorded")
    .action(
      context.action(async (options: { stack?: string; prefix: string; dryRun?: boolean }) => {
        const { env, json, print } = context;
        if (options.stack !== undefined) check(flag.stack, options.stack);
        const prefix = check(prefixSchema, options.prefix);
        const outputs = await stackOutputs(options.stack, env.pulumi, null);
        const { bucketName, featureGroupName } = outputs;
        if (typeof bucketName !== "string" || typeof featureGroupName !== "string") {
          throw new CliError("the stack has no bucketName or featureGroupName output: run `pulumi up` to deploy it");
        }
        const ports = backfillPorts(env, context.region, bucketName, featureGroupName);
        const result = await backfillPending(ports, prefix, { dryRun: Boolean(options.dryRun) });
        if (json) print(JSON.stringify({ prefix, dryRun: Boolean(options.dryRun), ...result }));
        else {
          print(
            `${result.images} images under ${prefix}: ${result.labeled} labeled, ${result.alreadyPending} already ` +
              `pending, ${result.marked} ${options.dryRun ? "would be" : ""} recorded as pending`.replace("  ", " "),
          );
        }
      }),
    );
}

/** The environment's own ports if it has them (tests), else the AWS SDK adapters. */
function backfillPorts(
  env: CliEnvironment,
  region: string | undefined,
  bucket: string,
  featureGroupName: string,
): { objects: ObjectStore; labels: LabelStore } {
  if (env.createBackfillPorts) return env.createBackfillPorts(bucket, featureGroupName);
  return {
    objects: s3ObjectStore(env.createS3Client(region), bucket),
    labels: featureStoreLabelStore(new SageMakerFeatureStoreRuntimeClient(region ? { region } : {}), featureGroupName),
  };
}
