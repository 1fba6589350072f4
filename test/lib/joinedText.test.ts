import { expect } from "chai";
import { joinedBytes } from "../../lib/joinedText";

describe("joinedBytes", () => {
  const parts = ["a", "bc", "", "déf", "g", "hij"];

  it("equals Array.join for every batch size, separators at batch boundaries included", () => {
    for (const separator of ["\n", ",", ""]) {
      for (let batch = 1; batch <= 20; batch++) {
        expect(joinedBytes(parts, separator, batch).toString("utf8"), `${JSON.stringify(separator)} ${batch}`).to.equal(
          parts.join(separator),
        );
      }
    }
  });

  it("joins nothing into no bytes and one part into itself", () => {
    expect(joinedBytes([], "\n").length).to.equal(0);
    expect(joinedBytes(["only"], "\n", 1).toString()).to.equal("only");
  });

  it("takes any iterable, a generator too, and writes UTF-8", () => {
    function* lines() {
      for (let i = 0; i < 1000; i++) yield `line ${i} — ✓`;
    }
    const joined = joinedBytes(lines(), "\n", 100);
    expect(joined.toString("utf8").split("\n")).to.have.length(1000);
    expect(joined.length).to.equal(Buffer.byteLength([...lines()].join("\n")));
  });
});
