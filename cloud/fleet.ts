import type * as pulumi from "@pulumi/pulumi";

/**
 * What the fleet (components/edgeFleet.ts) takes and hands on: the packaged inference component it publishes, and
 * the core devices it registers, which the simulated device (components/simulatedDevice.ts) runs as.
 */

/** The packaged inference component (edge/package.ts): a ZIP and its SHA-256. */
export interface EdgeArtifact {
  zipPath: string;
  sha256: string;
}

export interface CoreDevice {
  thingName: string;
  /** SSM SecureString parameters holding the device's certificate and private key. */
  certificateParameterName: pulumi.Output<string>;
  certificateParameterArn: pulumi.Output<string>;
  privateKeyParameterName: pulumi.Output<string>;
  privateKeyParameterArn: pulumi.Output<string>;
  /** Resources that must exist before the device first connects. */
  ready: pulumi.Resource[];
}
