import { z } from "zod";
import { NODE_VERSION } from "../contracts/runtime";

/** Where Greengrass keeps its root on the device. */
export const GREENGRASS_ROOT = "/greengrass/v2";

const NODE_ARCH = { x64: "x64", arm64: "arm64" } as const;

const safe = /^[A-Za-z0-9._:/@+-]+$/;
const shellSafe = (what: string) => z.string().regex(safe, `${what} must be plain (letters, digits, . _ : / @ + -)`);

export const userDataArgsSchema = z.object({
  region: shellSafe("region"),
  thingName: shellSafe("thingName"),
  thingGroupName: shellSafe("thingGroupName"),
  roleAliasName: shellSafe("roleAliasName"),
  iotDataEndpoint: shellSafe("iotDataEndpoint"),
  iotCredentialsEndpoint: shellSafe("iotCredentialsEndpoint"),
  certificateParameter: shellSafe("certificateParameter"),
  privateKeyParameter: shellSafe("privateKeyParameter"),
  nucleusVersion: z.string().regex(/^(latest|\d+\.\d+\.\d+)$/),
  architecture: z.enum(["x64", "arm64"]),
  imagesDir: shellSafe("imagesDir").refine((p) => p.startsWith("/"), "imagesDir must be absolute"),
  /** Sample camera images copied onto the device: at most `sampleImages` objects under `s3://bucket/prefix`. */
  bucketName: shellSafe("bucketName"),
  sampleImagesPrefix: shellSafe("sampleImagesPrefix"),
  sampleImages: z.number().int().min(0).max(1000),
});
export type UserDataArgs = z.input<typeof userDataArgsSchema>;

/**
 * Cloud-init user data of the simulated core device (Amazon Linux 2023). It installs Java (for the nucleus) and
 * Node.js (for the inference component), fetches the device's certificate and key from SSM Parameter Store (the
 * instance role may read only those two parameters), installs the Greengrass nucleus as a system service provisioned
 * as the stack's thing with the stack's token exchange role alias, and copies sample camera images. The thing, its
 * certificate, its policy and its thing-group membership are created by Pulumi, so the device needs no IoT or IAM
 * permissions of its own. Every value is validated as plain text, so nothing in it can break out of the script.
 */
export function simulatedDeviceUserData(input: UserDataArgs): string {
  const a = userDataArgsSchema.parse(input);
  const nucleusZip =
    a.nucleusVersion === "latest" ? "greengrass-nucleus-latest.zip" : `greengrass-${a.nucleusVersion}.zip`;
  const node = `node-v${NODE_VERSION}-linux-${NODE_ARCH[a.architecture]}`;
  return `#!/bin/bash
# Simulated Greengrass core device ${a.thingName} of thing group ${a.thingGroupName} (${a.region}).
set -euxo pipefail
export AWS_REGION=${a.region}
ROOT=${GREENGRASS_ROOT}

dnf install -y java-17-amazon-corretto-headless unzip tar xz

# Node.js for the inference component (it runs "node main.js"), from nodejs.org.
curl -fsSL https://nodejs.org/dist/v${NODE_VERSION}/${node}.tar.xz | tar -xJ -C /opt
ln -sf /opt/${node}/bin/node /usr/bin/node

# The device's identity, created by Pulumi; only this instance's role may read it.
mkdir -p "$ROOT" && chmod 700 "$ROOT"
aws ssm get-parameter --with-decryption --name ${a.certificateParameter} --query Parameter.Value --output text > "$ROOT/device.pem.crt"
aws ssm get-parameter --with-decryption --name ${a.privateKeyParameter} --query Parameter.Value --output text > "$ROOT/private.pem.key"
chmod 600 "$ROOT/private.pem.key"
curl -fsSL https://www.amazontrust.com/repository/AmazonRootCA1.pem -o "$ROOT/AmazonRootCA1.pem"

# The Greengrass nucleus, provisioned as ${a.thingName} with token exchange role alias ${a.roleAliasName}.
curl -fsSL https://d2s8p88vqu9w66.cloudfront.net/releases/${nucleusZip} -o /tmp/greengrass-nucleus.zip
rm -rf /tmp/GreengrassInstaller && unzip -q /tmp/greengrass-nucleus.zip -d /tmp/GreengrassInstaller
NUCLEUS_VERSION=$(java -jar /tmp/GreengrassInstaller/lib/Greengrass.jar --version | grep -oE '[0-9]+\\.[0-9]+\\.[0-9]+')
cat > /tmp/greengrass-config.yaml <<EOF
system:
  certificateFilePath: "$ROOT/device.pem.crt"
  privateKeyPath: "$ROOT/private.pem.key"
  rootCaPath: "$ROOT/AmazonRootCA1.pem"
  rootpath: "$ROOT"
  thingName: "${a.thingName}"
services:
  aws.greengrass.Nucleus:
    componentType: "NUCLEUS"
    version: "$NUCLEUS_VERSION"
    configuration:
      awsRegion: "${a.region}"
      iotRoleAlias: "${a.roleAliasName}"
      iotDataEndpoint: "${a.iotDataEndpoint}"
      iotCredEndpoint: "${a.iotCredentialsEndpoint}"
EOF
java -Droot="$ROOT" -Dlog.store=FILE -jar /tmp/GreengrassInstaller/lib/Greengrass.jar \\
  --init-config /tmp/greengrass-config.yaml --component-default-user ggc_user:ggc_group --setup-system-service true

# A camera: sample images from the data lake, readable by the component's user.
mkdir -p ${a.imagesDir}
KEYS=$(aws s3api list-objects-v2 --bucket ${a.bucketName} --prefix ${a.sampleImagesPrefix} --max-items ${a.sampleImages} \\
  --query 'Contents[].Key' --output text || true)
for key in $KEYS; do
  case "\${key,,}" in
    *.jpg | *.jpeg | *.png) aws s3 cp "s3://${a.bucketName}/$key" "${a.imagesDir}/\${key##*/}" ;;
  esac
done
chown -R ggc_user:ggc_group ${a.imagesDir}
`;
}
