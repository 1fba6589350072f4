import type { Command } from "commander";
import { awsCleanupPorts } from "../aws/cleanupPorts";
import { runCleanup } from "../cleanup/run";
import { stackTargets } from "../cleanup/targets";
import type { CommandContext } from "../context";
import type { CliEnvironment } from "../environment";
import { check, flag } from "../flags";
import type { CleanupPorts } from "../ports";
import { PROJECT_DIR, selectedStackName, stackConfigFromFile, stackOutputs } from "../stack";

/** `cleanup`: removes what the stack's pipeline created at run time, before `pulumi destroy`. */
export function register(program: Command, context: CommandContext): void {
  program
    .command("cleanup")
    .description(
      "remove what the stack's pipeline created at run time (running jobs, deployments, component versions, core " +
        "device records, model packages), before `pulumi destroy`",
    )
    .option("--stack <stack>", "the Pulumi stack (default: the selected stack)")
    .option("--dry-run", "only list what would be removed")
    .option("--yes", "remove without asking")
    .option("--delete-data", "also delete every object in the data lake (needs --yes and dataLake.allowDeleteData)")
    .action(
      context.action(async (options: { stack?: string; dryRun?: boolean; yes?: boolean; deleteData?: boolean }) => {
        const { env, json, print } = context;
        if (options.stack !== undefined) check(flag.stack, options.stack);
        const stack = options.stack ?? (await selectedStackName(env.pulumi));
        const config = stackConfigFromFile(env.projectDir ?? PROJECT_DIR, stack);
        const targets = stackTargets(config, await stackOutputs(stack, env.pulumi, null));
        // The stack's own region unless --region says otherwise: cleaning another region would find nothing.
        const region = context.region ?? targets.region;
        return runCleanup(
          targets,
          { ports: cleanupPorts(env, region), sleep: env.sleep },
          { dryRun: Boolean(options.dryRun), yes: Boolean(options.yes), deleteData: Boolean(options.deleteData), json },
          {
            print,
            progress: json ? (line) => env.stderr.write(`${line}\n`) : print,
            confirm: env.prompt,
          },
        );
      }),
    );
}

/** The environment's own ports if it has them (tests), else the AWS SDK adapters over its clients. */
function cleanupPorts(env: CliEnvironment, region: string): CleanupPorts {
  if (env.createCleanupPorts) return env.createCleanupPorts(region);
  return awsCleanupPorts({
    sfn: env.createClient(region),
    sagemaker: env.createSageMakerClient(region),
    greengrass: env.createGreengrassClient(region),
    s3: env.createS3Client(region),
  });
}
