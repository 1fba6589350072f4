import { S3Client } from "@aws-sdk/client-s3";
import { SFNClient } from "@aws-sdk/client-sfn";
import { Command } from "commander";
import { s3ObjectStore } from "../lib/aws/s3ObjectStore";
import { stepFunctionsCallbacks } from "../lib/aws/stepFunctionsCallbacks";
import { addFieldOptions, parseFieldFlags } from "../lib/fields";
import { requireDeclaredRuntime } from "../lib/runtime";
import { Labeler, modelPredrawer, startLabeler } from "./index";
import { s3VersionedObjects } from "./src/aws/s3VersionedObjects";
import { LabelerField, labelerFields, LabelerOptionsError, parseLabelerOptions } from "./src/options";

export const EXIT_BAD_OPTIONS = 2;
export const EXIT_FAILED = 1;

/** Labels one batch of a stack in AWS with the caller's credentials, until SIGINT or SIGTERM. */
export async function main(argv: string[], started?: (labeler: Labeler) => void): Promise<number> {
  const program = new Command("label")
    .description("Label a batch the pipeline waits for: pre-drawn boxes to confirm, move, resize, delete or add.")
    .helpOption("-h, --help", "show this help")
    .showHelpAfterError("(--help lists every option)");
  const attributes = addFieldOptions(program, labelerFields, (name) => labelerFields[name].description);
  const parsed = parseFieldFlags(program, argv, attributes, EXIT_BAD_OPTIONS);
  if ("exitCode" in parsed) return parsed.exitCode;
  let labeler: Labeler;
  try {
    const options = parseLabelerOptions(parsed.flags as Record<LabelerField, string | undefined>);
    const region = options.region ?? process.env.AWS_REGION;
    const s3 = new S3Client(region ? { region } : {});
    labeler = await startLabeler(
      { job: options.job, labeler: options.labeler, claimSeconds: options.claimMinutes * 60, port: options.port },
      {
        objects: s3ObjectStore(s3, options.bucket),
        versioned: s3VersionedObjects(s3, options.bucket),
        callbacks: stepFunctionsCallbacks(new SFNClient(region ? { region } : {})),
        ...(options.model ? { predrawer: await modelPredrawer(options.model) } : {}),
      },
    );
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return error instanceof LabelerOptionsError ? EXIT_BAD_OPTIONS : EXIT_FAILED;
  }
  process.stdout.write(`labeling ${labeler.session.batch.jobName}: open ${labeler.url}\n`);
  started?.(labeler);
  await new Promise<void>((resolve) => {
    process.once("SIGINT", () => resolve());
    process.once("SIGTERM", () => resolve());
  });
  await labeler.close();
  return 0;
}

if (require.main === module) {
  requireDeclaredRuntime("label");
  main(process.argv).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(EXIT_FAILED);
    },
  );
}
