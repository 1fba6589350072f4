import { expect } from "chai";
import { RepeatedProblem } from "../../edge/src/repeatedProblem";
import { memoryLog } from "../fakes/memoryLog";

describe("repeated problem", () => {
  it("logs a problem once, again with its count when it changes, and once when it clears", () => {
    const log = memoryLog();
    const problem = new RepeatedProblem(log);
    for (let i = 0; i < 1000; i++) problem.report("cannot list /cam: ENOENT");
    problem.report("cannot list /cam: EACCES");
    problem.report("cannot list /cam: EACCES");
    problem.clear("listing works again");
    problem.clear("listing works again");
    expect(log.lines).to.deep.equal([
      "ERROR cannot list /cam: ENOENT",
      "ERROR the previous problem happened 1000 times: cannot list /cam: ENOENT",
      "ERROR cannot list /cam: EACCES",
      "listing works again after 2 failures (last: cannot list /cam: EACCES)",
    ]);
  });
});
