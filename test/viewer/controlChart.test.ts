import { expect } from "chai";
import { MAX_PARTS_PER_DEVICE, PartOutcomes, pChart } from "../../viewer/src/controlChart";

/** Parts from a pattern string: x failed, . passed. */
const parts = (pattern: string) => [...pattern].map((c) => c === "x");

describe("the p-chart", () => {
  it("puts the centre at the failed share of complete subgroups and the limits 3 sigma either side", () => {
    // Subgroups of 10: 1, 0, 2, 1 failed, then 3 parts of an unfinished subgroup that do not count yet.
    const chart = pChart("line-1", parts("x........." + ".........." + "xx........" + "x........." + "xxx"), 10);
    const centre = 4 / 40;
    const sigma = Math.sqrt((0.1 * 0.9) / 10);
    expect(chart.centre).to.be.closeTo(centre, 1e-12);
    expect(chart.upper).to.be.closeTo(centre + 3 * sigma, 1e-12);
    expect(chart.lower).to.equal(0);
    expect(chart.parts).to.equal(43);
    expect(chart.points.map((p) => [p.failed, p.p, p.outside])).to.deep.equal([
      [1, 0.1, null],
      [0, 0, null],
      [2, 0.2, null],
      [1, 0.1, null],
    ]);
  });

  it("marks a subgroup above the upper limit, and one below the lower limit", () => {
    const good = "x".repeat(20) + ".".repeat(180);
    const shift = "x".repeat(120) + ".".repeat(80);
    const perfect = ".".repeat(200);
    const chart = pChart("line-2", parts(good.repeat(10) + shift + perfect), 200);
    const centre = (20 * 10 + 120) / (12 * 200);
    const sigma = Math.sqrt((centre * (1 - centre)) / 200);
    expect(centre - 3 * sigma, "the lower limit is above 0 here").to.be.greaterThan(0);
    expect(chart.upper).to.be.closeTo(centre + 3 * sigma, 1e-12);
    expect(chart.lower).to.be.closeTo(centre - 3 * sigma, 1e-12);
    expect(chart.points.filter((p) => p.outside).map((p) => [p.subgroup, p.outside])).to.deep.equal([
      [10, "above"],
      [11, "below"],
    ]);
  });

  it("has no centre or limits before one subgroup is complete", () => {
    expect(pChart("line-3", parts("xx."), 5)).to.deep.include({ centre: null, upper: null, lower: null, points: [] });
  });

  it("refuses a window that is not a whole number from 2 to 1000", () => {
    for (const window of [1, 0, 2.5, 1001, Number.NaN]) expect(() => pChart("d", [], window)).to.throw(RangeError);
  });

  it("keeps each device's parts apart and in order, forgetting the oldest past the limit", () => {
    const outcomes = new PartOutcomes();
    for (const failed of parts("x.x.")) outcomes.add("b-device", failed);
    outcomes.add("a-device", true);
    const charts = outcomes.charts(2);
    expect(charts.map((c) => [c.device, c.parts, c.points.map((p) => p.failed)])).to.deep.equal([
      ["a-device", 1, []],
      ["b-device", 4, [1, 1]],
    ]);
    for (let i = 0; i < MAX_PARTS_PER_DEVICE; i++) outcomes.add("a-device", false);
    const [a] = outcomes.charts(MAX_PARTS_PER_DEVICE / 10);
    expect(a.parts).to.equal(MAX_PARTS_PER_DEVICE);
    expect(a.centre).to.equal(0);
  });
});
