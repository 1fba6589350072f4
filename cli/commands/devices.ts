import type { Command } from "commander";
import type { CommandContext } from "../context";
import { deviceReports, formatDeviceReports, isHealthy } from "../devices";
import { EXIT } from "../errors";
import { check, flag } from "../flags";
import { coreDevicesFromStack } from "../stack";

/** `devices`: the health of the stack's Greengrass core devices; exit 1 if any is unwell. */
export function register(program: Command, context: CommandContext): void {
  program
    .command("devices")
    .description("show the stack's Greengrass core devices: status, deployments, components (exit 1 if any is unwell)")
    .option("--stack <stack>", "Pulumi stack whose outputs name the devices (default: the selected stack)")
    .option("--thing <name...>", "these core devices instead of the stack's")
    .action(
      context.action(async (options: { stack?: string; thing?: string[] }) => {
        const { env, print } = context;
        if (options.stack !== undefined) check(flag.stack, options.stack);
        const things = options.thing ?? (await coreDevicesFromStack(options.stack, env.pulumi));
        const reports = await deviceReports(env.createGreengrassClient(context.region), things);
        if (context.json) print(JSON.stringify(reports));
        else for (const line of formatDeviceReports(reports, env.now())) print(line);
        return reports.every(isHealthy) ? EXIT.ok : EXIT.failed;
      }),
    );
}
