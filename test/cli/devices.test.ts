import {
  GetCoreDeviceCommand,
  GreengrassV2Client,
  ListEffectiveDeploymentsCommand,
  ListInstalledComponentsCommand,
} from "@aws-sdk/client-greengrassv2";
import { S3Client } from "@aws-sdk/client-s3";
import { SageMakerClient } from "@aws-sdk/client-sagemaker";
import { SFNClient } from "@aws-sdk/client-sfn";
import { expect } from "chai";
import { mockClient } from "aws-sdk-client-mock";
import { z } from "zod";
import { deviceReports, formatDeviceReports, isHealthy } from "../../cli/devices";
import { runCli } from "../../cli/main";
import { mockedClient } from "../fakes/sdkMock";

const NOW = new Date("2026-11-29T12:00:00Z");
const minutesAgo = (n: number) => new Date(NOW.getTime() - n * 60_000);
const notFound = () => Object.assign(new Error("Core device not found"), { name: "ResourceNotFoundException" });

describe("device health", () => {
  const greengrass = mockedClient(() => mockClient(GreengrassV2Client));

  function healthyDevice(thing: string) {
    greengrass()
      .on(GetCoreDeviceCommand, { coreDeviceThingName: thing })
      .resolves({
        coreDeviceThingName: thing,
        status: "HEALTHY",
        lastStatusUpdateTimestamp: minutesAgo(3),
        platform: "linux",
        architecture: "amd64",
        coreVersion: "2.14.0",
      });
    greengrass()
      .on(ListEffectiveDeploymentsCommand, { coreDeviceThingName: thing })
      .resolvesOnce({
        effectiveDeployments: [
          {
            deploymentId: "d-1",
            deploymentName: "qi-dev-fleet",
            targetArn: "arn:aws:iot:eu-west-1:123456789012:thinggroup/qi-dev-fleet",
            coreDeviceExecutionStatus: "SUCCEEDED",
            creationTimestamp: minutesAgo(60),
            modifiedTimestamp: minutesAgo(50),
          },
        ],
        nextToken: "page-2",
      })
      .resolves({ effectiveDeployments: [] });
    greengrass()
      .on(ListInstalledComponentsCommand, { coreDeviceThingName: thing })
      .resolves({
        installedComponents: [
          { componentName: "aws.greengrass.Nucleus", componentVersion: "2.14.0", lifecycleState: "FINISHED" },
          { componentName: "qi-dev.ScratchDetector", componentVersion: "1.0.201", lifecycleState: "RUNNING" },
          { componentName: "qi-dev.ScratchDetectorModel", componentVersion: "1.0.7", lifecycleState: "FINISHED" },
        ],
      });
  }

  it("reads status, every page of deployments and our components, and formats them", async () => {
    healthyDevice("qi-dev-simulated-device");
    const reports = await deviceReports(new GreengrassV2Client({}), ["qi-dev-simulated-device"]);
    expect(greengrass().commandCalls(ListEffectiveDeploymentsCommand)).to.have.length(2);
    expect(reports[0].components.map((c) => c.name)).to.deep.equal([
      "qi-dev.ScratchDetector",
      "qi-dev.ScratchDetectorModel",
    ]);
    expect(isHealthy(reports[0])).to.equal(true);
    expect(formatDeviceReports(reports, NOW)).to.deep.equal([
      "qi-dev-simulated-device: HEALTHY (reported 3m 00s ago), linux/amd64, nucleus 2.14.0",
      "  deployment qi-dev-fleet: SUCCEEDED, updated 50m 00s ago",
      "  component qi-dev.ScratchDetector 1.0.201: RUNNING",
      "  component qi-dev.ScratchDetectorModel 1.0.7: FINISHED",
    ]);
  });

  it("says when a device has never connected, and counts it as unwell", async () => {
    greengrass().on(GetCoreDeviceCommand).rejects(notFound());
    const reports = await deviceReports(new GreengrassV2Client({}), ["qi-prod-line-1"]);
    expect(formatDeviceReports(reports, NOW)).to.deep.equal([
      "qi-prod-line-1: not registered with Greengrass yet (its nucleus has never connected)",
    ]);
    expect(isHealthy(reports[0])).to.equal(false);
  });

  it("shows a failed deployment with its reason", () => {
    const lines = formatDeviceReports(
      [
        {
          thingName: "line-2",
          registered: true,
          status: "UNHEALTHY",
          lastStatusUpdate: minutesAgo(1),
          platform: "linux/aarch64",
          coreVersion: "2.14.0",
          deployments: [
            { name: "qi-prod-fleet", status: "FAILED", reason: "COMPONENT_BROKEN", updated: minutesAgo(1) },
          ],
          components: [{ name: "qi-prod.ScratchDetector", version: "1.0.9", state: "BROKEN" }],
        },
      ],
      NOW,
    );
    expect(lines[1]).to.equal("  deployment qi-prod-fleet: FAILED (COMPONENT_BROKEN), updated 1m 00s ago");
  });

  it("is `devices` in the CLI: names from the stack's outputs, exit 1 when a device is unwell", async () => {
    healthyDevice("qi-dev-simulated-device");
    greengrass().on(GetCoreDeviceCommand, { coreDeviceThingName: "qi-dev-line-9" }).rejects(notFound());
    let stdout = "";
    let pulumiArgs: string[] = [];
    const code = await runCli(["devices", "--stack", "dev"], {
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: () => true },
      createClient: () => new SFNClient({}),
      createGreengrassClient: () => new GreengrassV2Client({ region: "eu-west-1" }),
      createSageMakerClient: () => new SageMakerClient({ region: "eu-west-1" }),
      createS3Client: () => new S3Client({ region: "eu-west-1" }),
      pulumi: async (args) => {
        pulumiArgs = args;
        return { stdout: JSON.stringify({ coreDeviceThingNames: ["qi-dev-simulated-device", "qi-dev-line-9"] }) };
      },
      stages: [],
      inputSchema: z.object({}),
      now: () => NOW,
      sleep: async () => undefined,
      pollMs: 1,
      maxPollMs: 1,
    });
    expect(pulumiArgs).to.deep.equal(["stack", "output", "--json", "--stack", "dev"]);
    expect(stdout).to.contain("qi-dev-simulated-device: HEALTHY");
    expect(stdout).to.contain("qi-dev-line-9: not registered");
    expect(code).to.equal(1);
  });
});
