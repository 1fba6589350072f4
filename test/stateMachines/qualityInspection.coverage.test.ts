import { expect } from "chai";
import { readdirSync } from "node:fs";
import path from "node:path";
import { recordedRuns, unreached } from "../harness/runCoverage";

// Every run test file of this folder, and the stage tests (some run a stage's paths, e.g. the labeling app's), register
// their tests first, so this check runs after all of them, whether mocha was given this file alone or the whole suite
// (a file mocha loads again later is cached and registers nothing).
const runTests = [
  ...readdirSync(__dirname)
    .filter((name) => name.endsWith(".runs.test.ts"))
    .map((name) => `./${name}`),
  ...readdirSync(path.join(__dirname, "stages"))
    .filter((name) => name.endsWith(".test.ts"))
    .map((name) => `./stages/${name}`),
];
for (const file of runTests.sort()) {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require(file);
}

describe("what the run tests reach of the state machine", () => {
  it("every state of every definition variant is entered, every Retry and Catch clause fires, in some run test", () => {
    expect(recordedRuns().length, "run tests recorded").to.be.greaterThan(0);
    const gaps = unreached();
    expect(gaps, `no run test reaches:\n  ${gaps.join("\n  ")}`).to.deep.equal([]);
  });
});
