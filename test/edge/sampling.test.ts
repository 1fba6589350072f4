import { expect } from "chai";
import { decideSample, HOUR_MS, sampleReason, UncertaintyRule } from "../../edge/src/sampling";
import { seededRandom } from "../../offline/synthetic";

const rule: UncertaintyRule = { maxScore: 0.7, band: [0.3, 0.7], maxPerHour: 5, randomRate: 0 };
const never = () => 1;
const T0 = Date.parse("2026-11-29T08:00:00Z");

describe("edge sampling rule", () => {
  describe("which images qualify", () => {
    it("sends an image whose best score is below maxScore, and one with nothing found (the seed's rule)", () => {
      expect(sampleReason([0.69], rule, never)).to.equal("below-max-score");
      expect(sampleReason([0.5, 0.2], rule, never)).to.equal("below-max-score");
      expect(sampleReason([], rule, never)).to.equal("below-max-score");
    });

    it("keeps an image whose best score reaches maxScore and has nothing in the band", () => {
      expect(sampleReason([0.7], { ...rule, band: null }, never)).to.equal(null);
      expect(sampleReason([0.95, 0.9], rule, never)).to.equal(null);
      expect(sampleReason([0.95, 0.2], rule, never)).to.equal(null);
    });

    it("sends a confident image that also has a borderline detection, band ends included", () => {
      expect(sampleReason([0.95, 0.5], rule, never)).to.equal("in-band");
      expect(sampleReason([0.95, 0.3], rule, never)).to.equal("in-band");
      expect(sampleReason([0.7], rule, never)).to.equal("in-band");
      expect(sampleReason([0.95, 0.29], rule, never)).to.equal(null);
      expect(sampleReason([0.95, 0.5], { ...rule, band: null }, never)).to.equal(null);
    });

    it("with maxScore 0 and no band, sends only the random sample", () => {
      const off = { ...rule, maxScore: 0, band: null };
      expect(sampleReason([], off, never)).to.equal(null);
      expect(sampleReason([0.01], off, never)).to.equal(null);
      expect(sampleReason([], { ...off, randomRate: 0.5 }, () => 0.1)).to.equal("random");
    });
  });

  describe("random sample of confident images", () => {
    it("sends about randomRate of them, reproducibly with a seeded random source", () => {
      const confident = [0.95];
      const draw = (seed: number) => {
        const random = seededRandom(seed);
        return Array.from({ length: 2000 }, () => sampleReason(confident, { ...rule, randomRate: 0.1 }, random));
      };
      const picks = draw(42);
      const sent = picks.filter((r) => r === "random").length;
      expect(sent).to.be.within(160, 240);
      expect(draw(42)).to.deep.equal(picks);
      expect(draw(7)).to.not.deep.equal(picks);
    });

    it("draws a random number only for confident images, so uncertain ones do not shift the sequence", () => {
      let draws = 0;
      const counting = () => {
        draws += 1;
        return 0;
      };
      const withRandom = { ...rule, randomRate: 0.5 };
      expect(sampleReason([0.2], withRandom, counting)).to.equal("below-max-score");
      expect(sampleReason([0.9, 0.5], withRandom, counting)).to.equal("in-band");
      expect(draws).to.equal(0);
      expect(sampleReason([0.9], withRandom, counting)).to.equal("random");
      expect(draws).to.equal(1);
    });

    it("never draws at rate 0 and always sends at rate 1", () => {
      expect(sampleReason([0.9], rule, () => 0)).to.equal(null);
      expect(sampleReason([0.9], { ...rule, randomRate: 1 }, () => 0.999999)).to.equal("random");
    });
  });

  describe("hourly cap", () => {
    it("sends at most maxPerHour in any hour, and sends again as the oldest send leaves the window", () => {
      let history: number[] = [];
      const sentAt: number[] = [];
      // One uncertain image a minute for two hours.
      for (let minute = 0; minute < 120; minute++) {
        const now = T0 + minute * 60_000;
        const decision = decideSample([0.4], rule, history, now, never);
        history = decision.history;
        if (decision.send) sentAt.push(minute);
        else expect(decision).to.include({ capped: true, reason: "below-max-score" });
      }
      expect(sentAt).to.deep.equal([0, 1, 2, 3, 4, 60, 61, 62, 63, 64]);
      for (const start of sentAt) {
        expect(sentAt.filter((m) => m >= start && m < start + 60).length).to.be.at.most(5);
      }
    });

    it("keeps only the last hour's sends in the history it hands back", () => {
      const old = [T0 - HOUR_MS - 1, T0 - HOUR_MS, T0 - 1000];
      const decision = decideSample([0.4], rule, old, T0, never);
      expect(decision.send).to.equal(true);
      expect(decision.history).to.deep.equal([T0 - 1000, T0]);
      expect(decideSample([0.9], rule, old, T0, never)).to.deep.equal({
        send: false,
        reason: null,
        capped: false,
        history: [T0 - 1000],
      });
    });

    it("counts random picks against the cap too", () => {
      const full = Array.from({ length: 5 }, (_, i) => T0 - i * 1000);
      expect(decideSample([0.9], { ...rule, randomRate: 1 }, full, T0 + 1, () => 0.5)).to.include({
        send: false,
        reason: "random",
        capped: true,
      });
    });

    it("forgets sends stamped after now (a clock set back) instead of holding images back", () => {
      const future = Array.from({ length: 5 }, (_, i) => T0 + HOUR_MS * 24 + i);
      expect(decideSample([0.4], rule, future, T0, never)).to.include({ send: true });
    });

    it("sends nothing with maxPerHour 0", () => {
      expect(decideSample([0.1], { ...rule, maxPerHour: 0 }, [], T0, never)).to.include({ send: false, capped: true });
    });
  });
});
