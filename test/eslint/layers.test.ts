import path from "node:path";
import { expect } from "chai";
import { ESLint } from "eslint";

const ROOT = path.resolve(__dirname, "..", "..");

/** Lints `code` as if it were the file `file` of the project, with the project's own eslint config. */
async function layerProblems(file: string, code: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: ROOT });
  const [result] = await eslint.lintText(code, { filePath: path.join(ROOT, file) });
  return result.messages.filter((m) => m.ruleId === "layers/imports").map((m) => m.message);
}

describe("eslint: imports follow the layers (eslint/layers.mjs)", function () {
  this.timeout(60_000);

  const wrong: [string, string, string][] = [
    ["edge/src/scratch.ts", `import { main } from "../../cli/main";`, "edge/ may not import cli/"],
    ["edge/src/scratch.ts", `import { handler } from "../../lambdas/startRun/index";`, "edge/ may not import lambdas/"],
    [
      "lambdas/startRun/scratch.ts",
      `import { Letterboxer } from "../../edge/src/model";`,
      "lambdas/ may not import edge/",
    ],
    ["lambdas/scratch.ts", `export * from "../components/dataLake";`, "lambdas/ may not import components/"],
    ["lib/scratch.ts", `import "../edge/src/log";`, "lib/ may not import edge/"],
    ["contracts/scratch.ts", `import { tar } from "../lib/tar";`, "contracts/ may not import lib/"],
    [
      "stateMachines/scratch.ts",
      `const x = require("../components/dataLake");`,
      "stateMachines/ may not import components/",
    ],
    ["viewer/src/scratch.ts", `import("../../offline/run");`, "viewer/ may not import offline/"],
    ["training/scratch.ts", `import { x } from "../viewer/src/options";`, "training/ may not import viewer/"],
    ["labeler/src/scratch.ts", `import { run } from "../../offline/run";`, "labeler/ may not import offline/"],
    ["labeler/scratch.ts", `import { x } from "../stateMachines/stages";`, "labeler/ may not import stateMachines/"],
    ["edge/src/scratch.ts", `import { startLabeler } from "../../labeler/index";`, "edge/ may not import labeler/"],
  ];
  for (const [file, code, expected] of wrong) {
    it(`refuses ${file}: ${code}`, async () => {
      const problems = await layerProblems(file, code);
      expect(problems).to.have.length(1);
      expect(problems[0]).to.contain(expected);
    });
  }

  const right: [string, string][] = [
    ["edge/src/scratch.ts", `import { Letterboxer } from "../../lib/letterbox";`],
    ["edge/src/scratch.ts", `import { DEFAULT_RESULT_TOPIC } from "../../contracts/inferenceMessages";`],
    ["lambdas/startRun/scratch.ts", `import { busyMessage } from "../../lib/busyPipeline";`],
    ["cli/scratch.ts", `import { PIPELINE_STAGES } from "../stateMachines/stages";`],
    ["components/scratch.ts", `import { inferenceComponentRecipe } from "../edge/recipe";`],
    ["offline/scratch.ts", `import { main } from "../cli/main";`],
    ["edge/src/scratch.ts", `import { z } from "zod";`],
    ["labeler/src/scratch.ts", `import { Detector } from "../../edge/src/detector";`],
    ["labeler/scratch.ts", `import { parseStackConfig } from "../config/schema";`],
    ["offline/scratch.ts", `import { startLabeler } from "../labeler/index";`],
  ];
  for (const [file, code] of right) {
    it(`allows ${file}: ${code}`, async () => {
      expect(await layerProblems(file, code)).to.deep.equal([]);
    });
  }
});
