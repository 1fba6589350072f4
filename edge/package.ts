import { createHash } from "node:crypto";
import { existsSync, promises as fs, readFileSync } from "node:fs";
import path from "node:path";
import { build } from "esbuild";
import { zip, ZipEntry } from "./zip";
import { ESBUILD_NODE_TARGET } from "../contracts/runtime";

/**
 * Packages the edge detector as the Greengrass component's one artifact: a ZIP holding `main.js` (the detector
 * bundled by esbuild, every pure-JavaScript dependency included), the two native packages for one Linux CPU
 * architecture — onnxruntime-node with its libonnxruntime, and aws-crt (MQTT, TLS, Greengrass IPC) — and the
 * WebAssembly JPEG decoder main.js loads from a file. Nothing else: no other platforms' binaries, no sources, no type
 * declarations. The device needs only Node.js (contracts/runtime.ts `NODE_MAJOR` or newer) and glibc.
 */

const ROOT = path.resolve(__dirname, "..");
/** Native packages resolved at run time from the archive's node_modules; everything else is in main.js. */
const NATIVE_PACKAGES = ["onnxruntime-node", "aws-crt"];

export type Architecture = "x64" | "arm64";

export interface EdgePackage {
  zipPath: string;
  sha256: string;
  bytes: number;
  files: number;
}

/** The package folder Node would load `name` from when required by `from` (aws-crt: the SDK's own copy). */
function packageDir(name: string, from = ROOT): string {
  // Resolve the entry point (not package.json, which some packages do not export) and walk up to its package.
  let dir = path.dirname(require.resolve(name, { paths: [from] }));
  while (!existsSync(path.join(dir, "package.json")) || readPackageName(dir) !== name) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`cannot find the package folder of ${name}`);
    dir = parent;
  }
  return dir;
}

function readPackageName(dir: string): string | undefined {
  return JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")).name;
}

async function filesUnder(dir: string, keep: (relative: string) => boolean, base = dir): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const found: string[] = [];
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await filesUnder(full, keep, base)));
    else if (keep(path.relative(base, full).split(path.sep).join("/"))) found.push(full);
  }
  return found;
}

const isRuntimeJs = (file: string) => file.endsWith(".js") || file.endsWith("package.json");
const isLegal = (file: string) => /^(LICENSE|NOTICE|ThirdPartyNotices)/i.test(path.posix.basename(file));

/** The files main.js loads at run time that run on linux-<arch>, as archive paths → source paths. */
async function runtimeFiles(arch: Architecture): Promise<Map<string, string>> {
  const sdk = packageDir("aws-iot-device-sdk-v2");
  const packages: [string, string, (file: string) => boolean][] = [
    [
      "onnxruntime-node",
      packageDir("onnxruntime-node"),
      (f) =>
        f === "package.json" ||
        isLegal(f) ||
        (f.startsWith("dist/") && f.endsWith(".js")) ||
        f.startsWith(`bin/napi-v6/linux/${arch}/`),
    ],
    [
      "onnxruntime-common",
      packageDir("onnxruntime-common", packageDir("onnxruntime-node")),
      (f) => f === "package.json" || isLegal(f) || (f.startsWith("dist/cjs/") && isRuntimeJs(f)),
    ],
    [
      "aws-crt",
      packageDir("aws-crt", sdk),
      (f) =>
        f === "package.json" ||
        isLegal(f) ||
        (f.startsWith("dist/") && !f.startsWith("dist/bin/") && f.endsWith(".js")) ||
        f.startsWith(`dist/bin/linux-${arch}-glibc/`),
    ],
    // Its JavaScript is in main.js; the .wasm is read through require.resolve, as in development.
    [
      "@jsquash/jpeg",
      packageDir("@jsquash/jpeg"),
      (f) => f === "package.json" || isLegal(f) || f === "codec/dec/mozjpeg_dec.wasm",
    ],
  ];
  const files = new Map<string, string>();
  for (const [name, dir, keep] of packages) {
    for (const file of await filesUnder(dir, keep)) {
      files.set(`node_modules/${name}/${path.relative(dir, file).split(path.sep).join("/")}`, file);
    }
  }
  return files;
}

export async function packageEdge(options: { arch?: Architecture; outDir?: string } = {}): Promise<EdgePackage> {
  const arch = options.arch ?? "x64";
  const outDir = options.outDir ?? path.join(ROOT, "dist", "edge");
  await fs.mkdir(outDir, { recursive: true });

  const bundle = await build({
    entryPoints: [path.join(ROOT, "edge", "src", "main.ts")],
    bundle: true,
    platform: "node",
    target: ESBUILD_NODE_TARGET,
    format: "cjs",
    external: NATIVE_PACKAGES,
    write: false,
    legalComments: "eof",
    logLevel: "error",
  });
  const [mainJs] = bundle.outputFiles;
  const rootPackage = JSON.parse(await fs.readFile(path.join(ROOT, "package.json"), "utf8"));

  const entries: ZipEntry[] = [
    { name: "main.js", data: Buffer.from(mainJs.contents) },
    {
      name: "package.json",
      data: Buffer.from(
        `${JSON.stringify({ name: "qualityinspection-scratch-detector", version: rootPackage.version, private: true, main: "main.js", engines: { node: ">=20" } }, null, 2)}\n`,
      ),
    },
  ];
  const runtime = await runtimeFiles(arch);
  for (const name of [...runtime.keys()].sort()) entries.push({ name, data: await fs.readFile(runtime.get(name)!) });

  const archive = zip(entries);
  const zipPath = path.join(outDir, `scratch-detector-linux-${arch}.zip`);
  await fs.writeFile(zipPath, archive);
  return {
    zipPath,
    sha256: createHash("sha256").update(archive).digest("hex"),
    bytes: archive.length,
    files: entries.length,
  };
}

if (require.main === module) {
  const arch = (process.argv[2] ?? "x64") as Architecture;
  if (arch !== "x64" && arch !== "arm64") {
    console.error(`architecture must be x64 or arm64 (got ${JSON.stringify(arch)})`);
    process.exit(2);
  }
  packageEdge({ arch }).then(
    (p) => console.log(`${p.zipPath}\n${(p.bytes / 1024 / 1024).toFixed(1)} MiB, ${p.files} files, sha256 ${p.sha256}`),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
