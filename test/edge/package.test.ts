import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { once } from "node:events";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { componentNames } from "../../contracts/modelComponent";
import { EdgePackage, packageEdge } from "../../edge/package";
import { inferenceComponentRecipe } from "../../edge/recipe";
import { zip } from "../../edge/zip";
import { FakeNucleus } from "../fakes/fakeNucleus";
import { FakeS3, FakeTokenExchangeService } from "../fakes/fakeS3";
import { interpolateLifecycle } from "../harness/greengrass";
import { gradientJpeg } from "../harness/images";
import { tempDir, oneScratchDetector } from "../harness/modelFolders";
import { skipBecause } from "../harness/skip";

const UNZIP = ["/usr/bin/unzip", "/bin/unzip"].find((p) => existsSync(p));
const NO_UNZIP = "unzip is not installed, so the archive cannot be opened independently";

function listZip(file: string): string[] {
  const result = spawnSync(UNZIP!, ["-Z1", file], { encoding: "utf8" });
  expect(result.status, result.stderr).to.equal(0);
  return result.stdout.trim().split("\n");
}

describe("edge ZIP writer", () => {
  const dir = tempDir("zip");
  after(() => rmSync(dir, { recursive: true, force: true }));
  const entries = [
    { name: "main.js", data: Buffer.from("console.log('hello');\n".repeat(100)) },
    {
      name: "node_modules/pkg/random.bin",
      data: Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919) % 251)),
    },
    { name: "empty.txt", data: Buffer.alloc(0) },
  ];

  it("writes the same bytes for the same files, so the archive's hash names its contents", () => {
    expect(zip(entries).equals(zip(entries))).to.equal(true);
    expect(zip(entries).equals(zip([...entries.slice(0, 2), { name: "empty.txt", data: Buffer.from("x") }]))).to.equal(
      false,
    );
  });

  it("is an archive standard tools read back byte for byte", function () {
    if (!UNZIP) skipBecause(this, `${NO_UNZIP}`);
    const file = path.join(dir, "a.zip");
    writeFileSync(file, zip(entries));
    expect(spawnSync(UNZIP, ["-tq", file]).status).to.equal(0);
    const out = path.join(dir, "out");
    expect(spawnSync(UNZIP, ["-q", file, "-d", out]).status).to.equal(0);
    for (const { name, data } of entries) expect(readFileSync(path.join(out, name)).equals(data), name).to.equal(true);
  });

  it("refuses paths that would escape the folder it is unpacked into", () => {
    expect(() => zip([{ name: "../evil.js", data: Buffer.alloc(1) }])).to.throw(/bad zip entry name/);
    expect(() => zip([{ name: "/etc/passwd", data: Buffer.alloc(1) }])).to.throw(/bad zip entry name/);
  });
});

describe("edge component package", function () {
  const dir = tempDir("package");
  let built: EdgePackage;
  let s3: FakeS3 | undefined;
  let tes: FakeTokenExchangeService | undefined;
  before(async () => {
    built = await packageEdge({ outDir: path.join(dir, "dist") });
  });
  after(async () => {
    await s3?.close();
    await tes?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("reports the archive's path, size and SHA-256", () => {
    expect(built.zipPath).to.equal(path.join(dir, "dist", "scratch-detector-linux-x64.zip"));
    expect(built.sha256).to.equal(createHash("sha256").update(readFileSync(built.zipPath)).digest("hex"));
    expect(built.bytes).to.equal(readFileSync(built.zipPath).length);
  });

  it("holds the bundle, the linux-x64 native binaries and the JPEG decoder's WebAssembly, and nothing for other platforms", function () {
    if (!UNZIP) skipBecause(this, `${NO_UNZIP}`);
    const files = listZip(built.zipPath);
    expect(files).to.include.members([
      "main.js",
      "package.json",
      "node_modules/onnxruntime-node/bin/napi-v6/linux/x64/onnxruntime_binding.node",
      "node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1",
      "node_modules/aws-crt/dist/bin/linux-x64-glibc/aws-crt-nodejs.node",
      "node_modules/onnxruntime-common/dist/cjs/index.js",
      "node_modules/@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm",
      "node_modules/@jsquash/jpeg/LICENSE",
    ]);
    expect(files.filter((f) => /darwin|win32|arm64|musl|\.d\.ts$|\.map$|\/lib\/|sharp|jimp/.test(f))).to.deep.equal([]);
    expect(files.filter((f) => f.startsWith("node_modules/")).map((f) => f.split("/")[1])).to.satisfy(
      (pkgs: string[]) =>
        pkgs.every((p) => ["onnxruntime-node", "onnxruntime-common", "aws-crt", "@jsquash"].includes(p)),
    );
  });

  it("unpacked as Greengrass does, passes the recipe's Install step, runs its Run step over IPC and sends images back with token exchange credentials", async function () {
    if (!UNZIP) skipBecause(this, `${NO_UNZIP}`);
    // Greengrass unpacks <name>.zip into <decompressedPath>/<name>/.
    const decompressedPath = path.join(dir, "greengrass", "artifacts-unarchived");
    const uri = `s3://qi-dev-data-lake/components/qi-dev.ScratchDetector/1.0.0/${built.sha256}.zip`;
    const target = path.join(decompressedPath, built.sha256);
    mkdirSync(target, { recursive: true });
    expect(spawnSync(UNZIP, ["-q", built.zipPath, "-d", target]).status).to.equal(0);

    const model = oneScratchDetector(dir, 0.55, "model-component");
    const images = path.join(dir, "camera");
    mkdirSync(images);
    writeFileSync(path.join(images, "part-1.jpg"), await gradientJpeg(450, 300));
    const names = componentNames("qi-dev");
    const recipe = inferenceComponentRecipe({
      componentName: names.inference,
      componentVersion: "1.0.0",
      artifactUri: uri,
      modelComponentName: names.model,
      imagesDir: images,
      uploadBucket: "qi-dev-data-lake",
      uploadRegion: "eu-west-1",
    });
    tes = await FakeTokenExchangeService.start("package-test-token");
    s3 = await FakeS3.start({
      accessKeyId: tes.credentials.accessKeyId,
      sessionToken: tes.credentials.sessionToken,
    });
    const lifecycle = interpolateLifecycle(recipe, {
      decompressedPath,
      modelArtifactsPath: model,
      workPath: path.join(dir, "greengrass", "work"),
      thingName: "package-test",
    });
    const env = {
      PATH: process.env.PATH,
      ...lifecycle.env,
      // What the nucleus gives every component process; --check does not connect.
      AWS_GG_NUCLEUS_DOMAIN_SOCKET_FILEPATH_FOR_COMPONENT: path.join(dir, "ipc.socket"),
      SVCUID: "test-token",
      // What the token exchange service dependency adds, and S3 redirected to a local endpoint.
      ...tes.env,
      QI_EDGE_UPLOAD_ENDPOINT: s3.endpoint,
    };
    // Outside the repository, so nothing resolves from the project's node_modules.
    const install = spawnSync("sh", ["-c", lifecycle.install], { cwd: dir, env, encoding: "utf8" });
    expect(install.status, install.stderr).to.equal(0);
    expect(install.stdout).to.match(
      /^ok: model scratch-detector fixture-1 \(torchvision, 320x320.* greengrass-ipc → qualityinspection\/scratch-detection/,
    );

    // Run, against a stand-in nucleus; Greengrass stops a component with SIGTERM.
    const nucleus = await FakeNucleus.start(env.AWS_GG_NUCLEUS_DOMAIN_SOCKET_FILEPATH_FOR_COMPONENT, env.SVCUID);
    const run = spawn("sh", ["-c", lifecycle.run], { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    run.stdout.on("data", (chunk) => (output += chunk));
    run.stderr.on("data", (chunk) => (output += chunk));
    try {
      const deadline = Date.now() + 20_000;
      while (nucleus.published.length === 0 || s3.objects.size === 0) {
        if (Date.now() > deadline || run.exitCode !== null)
          throw new Error(`nothing published or uploaded:\n${output}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const exited = once(run, "exit");
      run.kill("SIGTERM");
      expect((await exited)[0], output).to.equal(0);
      const [published] = nucleus.published;
      expect(published.topicName).to.equal("qualityinspection/scratch-detection");
      const result = JSON.parse(published.payload.toString());
      expect(result).to.include({ image_name: "part-1.jpg", thingName: "package-test", sentForLabeling: true });
      const [uploaded] = s3.objects.values();
      expect(uploaded.key).to.match(
        /^images\/devices\/package-test\/\d{4}-\d{2}-\d{2}\/\d{6}\.\d{3}Z-[0-9a-f]{8}-part-1\.jpg$/,
      );
      expect(uploaded.body.equals(readFileSync(path.join(images, "part-1.jpg")))).to.equal(true);
      expect(uploaded).to.include({ bucket: "qi-dev-data-lake", accessKeyId: tes.credentials.accessKeyId });
    } finally {
      run.kill("SIGKILL");
      await nucleus.close();
    }
  });
});
