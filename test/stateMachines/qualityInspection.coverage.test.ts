import { expect } from "chai";
import { readdirSync } from "node:fs";
import { recordedRuns, unreached } from "../harness/runCoverage";

// Every run test file of this folder registers its tests first, so this check runs after all of them, whether mocha
// was given this file alone or the whole suite (a file mocha loads again later is cached and registers nothing).
for (const file of readdirSync(__dirname)
  .filter((name) => name.endsWith(".runs.test.ts"))
  .sort()) {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require(`./${file}`);
}

describe("what the run tests reach of the state machine", () => {
  it("every state of every definition variant is entered, every Retry and Catch clause fires, in some run test", () => {
    expect(recordedRuns().length, "run tests recorded").to.be.greaterThan(0);
    const gaps = unreached();
    expect(gaps, `no run test reaches:\n  ${gaps.join("\n  ")}`).to.deep.equal([]);
  });
});
