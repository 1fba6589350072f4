import { existsSync, readdirSync, statSync } from "node:fs";
import * as path from "node:path";
import * as esbuild from "esbuild";
import * as pulumi from "@pulumi/pulumi";
import { ESBUILD_NODE_TARGET } from "../contracts/runtime";

/**
 * Bundles `lambdas/<entry>/index.ts` with esbuild into one `index.js` per function — only the code it imports, not
 * the whole node_modules — and wraps it in an AssetArchive. Functions that load a native module (onnxruntime-node)
 * get the module's JavaScript and its linux-x64 binaries next to the bundle instead.
 */
export const LAMBDAS_DIR = path.resolve(__dirname, "..", "lambdas");
const NODE_MODULES = path.resolve(__dirname, "..", "node_modules");

/** Native packages a function loads at run time, with the files it needs of each (relative to the package). */
const NATIVE_PACKAGES: Record<string, { packages: Record<string, string[]> }> = {
  "onnxruntime-node": {
    packages: {
      "onnxruntime-node": ["package.json", "dist", "bin/napi-v6/linux/x64"],
      "onnxruntime-common": ["package.json", "dist/cjs"],
    },
  },
};

/** zod's classic build re-exports message tables in 40-odd languages; the functions speak English only. */
const zodEnglishOnly: esbuild.Plugin = {
  name: "zod-english-only",
  setup(build) {
    build.onResolve({ filter: /\/locales\/index\.js$/ }, (args) =>
      args.importer.includes(`${path.sep}zod${path.sep}`)
        ? { path: "zod-locales", namespace: "zod-english-only" }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: "zod-english-only" }, () => ({
      contents: `export { default as en } from ${JSON.stringify(path.join(NODE_MODULES, "zod", "v4", "locales", "en.js"))};`,
      resolveDir: NODE_MODULES,
    }));
  },
};

export interface LambdaBundle {
  /** The bundled handler. */
  code: string;
  /** Files shipped next to it: archive path → absolute path on this machine. */
  files: Record<string, string>;
  /** Bytes of the bundle, and of the files shipped next to it. */
  codeBytes: number;
  nativeBytes: number;
}

function filesUnder(root: string, relative: string): string[] {
  const full = path.join(root, relative);
  if (!existsSync(full)) throw new Error(`[lambdas] ${full} is missing; run npm ci`);
  if (statSync(full).isFile()) return [relative];
  return readdirSync(full).flatMap((name) => filesUnder(root, path.join(relative, name)));
}

const cache = new Map<string, Promise<LambdaBundle>>();

/** Bundles one function (once per process). */
export function bundleLambda(entry: string): Promise<LambdaBundle> {
  let bundle = cache.get(entry);
  if (!bundle) {
    bundle = build(entry);
    cache.set(entry, bundle);
  }
  return bundle;
}

async function build(entry: string): Promise<LambdaBundle> {
  const entryPoint = path.join(LAMBDAS_DIR, entry, "index.ts");
  if (!existsSync(entryPoint)) throw new Error(`[entry] ${entryPoint} does not exist`);
  const result = await esbuild.build({
    entryPoints: [entryPoint],
    bundle: true,
    platform: "node",
    target: ESBUILD_NODE_TARGET,
    format: "cjs",
    // The AWS SDK's ES module build lets esbuild drop the commands a function does not send.
    mainFields: ["module", "main"],
    minify: true,
    legalComments: "none",
    external: Object.keys(NATIVE_PACKAGES),
    plugins: [zodEnglishOnly],
    metafile: true,
    write: false,
    logLevel: "silent",
  });
  const code = result.outputFiles[0].text;
  const usedNative = Object.keys(NATIVE_PACKAGES).filter((name) => code.includes(`require("${name}")`));
  const files: Record<string, string> = {};
  for (const name of usedNative) {
    for (const [pkg, parts] of Object.entries(NATIVE_PACKAGES[name].packages)) {
      const root = path.join(NODE_MODULES, pkg);
      for (const part of parts) {
        for (const file of filesUnder(root, part)) {
          if (file.endsWith(".map") || file.endsWith(".d.ts")) continue;
          files[path.posix.join("node_modules", pkg, file.split(path.sep).join("/"))] = path.join(root, file);
        }
      }
    }
  }
  const nativeBytes = Object.values(files).reduce((sum, file) => sum + statSync(file).size, 0);
  return { code, files, codeBytes: Buffer.byteLength(code), nativeBytes };
}

/** The function's code as a Pulumi archive: `index.js` and any native files. */
export function lambdaArchive(entry: string): pulumi.Output<pulumi.asset.AssetArchive> {
  return pulumi.output(bundleLambda(entry)).apply(
    (bundle) =>
      new pulumi.asset.AssetArchive({
        "index.js": new pulumi.asset.StringAsset(bundle.code),
        ...Object.fromEntries(
          Object.entries(bundle.files).map(([name, file]) => [name, new pulumi.asset.FileAsset(file)]),
        ),
      }),
  );
}
