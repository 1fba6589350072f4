import {
  GetCoreDeviceCommand,
  GreengrassV2Client,
  ListEffectiveDeploymentsCommand,
  ListInstalledComponentsCommand,
} from "@aws-sdk/client-greengrassv2";
import { explainAwsError } from "./errors";
import { formatDuration } from "./render";
import { allPages } from "./pages";

/** What Greengrass knows of one core device. */
export interface DeviceReport {
  thingName: string;
  /** False until the device's nucleus has connected once. */
  registered: boolean;
  status?: string;
  lastStatusUpdate?: Date;
  platform?: string;
  coreVersion?: string;
  deployments: { name: string; status: string; reason?: string; updated?: Date }[];
  components: { name: string; version: string; state: string }[];
}

const isNotFound = (error: unknown) => (error as { name?: string }).name === "ResourceNotFoundException";

/** AWS's own components (the nucleus and friends) are left out of the report. */
const AWS_COMPONENTS = "aws.greengrass.";

/** Reads each device's status, effective deployments and the components it runs. */
export async function deviceReports(
  client: GreengrassV2Client,
  thingNames: readonly string[],
): Promise<DeviceReport[]> {
  const reports: DeviceReport[] = [];
  for (const coreDeviceThingName of thingNames) {
    const call = <T>(request: Promise<T>) =>
      request.catch((error: unknown) => {
        throw isNotFound(error) ? error : explainAwsError(error, `core device ${coreDeviceThingName}`);
      });
    try {
      const device = await call(client.send(new GetCoreDeviceCommand({ coreDeviceThingName })));
      const deployments = await allPages((nextToken) =>
        call(client.send(new ListEffectiveDeploymentsCommand({ coreDeviceThingName, nextToken }))).then((page) => ({
          items: page.effectiveDeployments,
          nextToken: page.nextToken,
        })),
      );
      const components = await allPages((nextToken) =>
        call(client.send(new ListInstalledComponentsCommand({ coreDeviceThingName, nextToken }))).then((page) => ({
          items: page.installedComponents,
          nextToken: page.nextToken,
        })),
      );
      reports.push({
        thingName: coreDeviceThingName,
        registered: true,
        status: device.status,
        lastStatusUpdate: device.lastStatusUpdateTimestamp,
        platform: device.platform && `${device.platform}/${device.architecture}`,
        coreVersion: device.coreVersion,
        deployments: deployments.map((d) => ({
          name: d.deploymentName ?? d.deploymentId ?? "?",
          status: d.coreDeviceExecutionStatus ?? "?",
          reason: d.reason,
          updated: d.modifiedTimestamp,
        })),
        components: components
          .filter((c) => c.componentName && !c.componentName.startsWith(AWS_COMPONENTS))
          .map((c) => ({ name: c.componentName!, version: c.componentVersion ?? "?", state: c.lifecycleState ?? "?" })),
      });
    } catch (error) {
      if (!isNotFound(error)) throw error;
      reports.push({ thingName: coreDeviceThingName, registered: false, deployments: [], components: [] });
    }
  }
  return reports;
}

/** Healthy: registered, reporting HEALTHY, and no deployment failed on it. */
export function isHealthy(report: DeviceReport): boolean {
  return report.registered && report.status === "HEALTHY" && !report.deployments.some((d) => d.status === "FAILED");
}

/** The report as lines for a person. */
export function formatDeviceReports(reports: DeviceReport[], now: Date): string[] {
  if (reports.length === 0) return ["the stack registers no core devices (edge.coreDevices, edge.simulatedDevice)"];
  const ago = (date?: Date) => (date ? `${formatDuration(now.getTime() - date.getTime())} ago` : "never");
  return reports.flatMap((report) => {
    if (!report.registered) {
      return [`${report.thingName}: not registered with Greengrass yet (its nucleus has never connected)`];
    }
    return [
      `${report.thingName}: ${report.status ?? "UNKNOWN"} (reported ${ago(report.lastStatusUpdate)}), ` +
        `${report.platform ?? "unknown platform"}, nucleus ${report.coreVersion ?? "?"}`,
      ...(report.deployments.length === 0
        ? ["  no deployment yet"]
        : report.deployments.map(
            (d) => `  deployment ${d.name}: ${d.status}${d.reason ? ` (${d.reason})` : ""}, updated ${ago(d.updated)}`,
          )),
      ...report.components.map((c) => `  component ${c.name} ${c.version}: ${c.state}`),
    ];
  });
}
