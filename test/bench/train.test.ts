import { expect } from "chai";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { epochSeconds, parseFlags } from "../../scripts/bench-train";

// bench:train's own parts; the smoke test (test/training/smoke.test.ts) reads real train.py output with epochSeconds.
describe("bench:train", () => {
  const data = mkdtempSync(path.join(tmpdir(), "qi-bench-train-flags-"));

  it("reads input sizes, square or width x height, and defaults the rest", () => {
    const flags = parseFlags(["--data", data, "--image-size", "320,384x256"]);
    expect(flags).to.deep.equal({
      "--data": data,
      "--image-size": [
        { width: 320, height: 320 },
        { width: 384, height: 256 },
      ],
      "--epochs": 4,
      "--schedule": 54,
    });
  });

  it("names the bad flag and the form it wants", () => {
    const cases: [string[], string][] = [
      [[], "--data must be a dataset folder"],
      [["--data", path.join(data, "none")], "--data must be a dataset folder"],
      [["--data", data, "--image-size", "320,100"], "--image-size must be input sizes separated by commas"],
      [["--data", data, "--image-size", ""], "--image-size must be input sizes"],
      [["--data", data, "--epochs", "1"], "--epochs must be a whole number of epochs to time, from 2 to 50 (got 1)"],
      [["--data", data, "--schedule", "5e3"], "--schedule must be the whole number of epochs"],
      [["--data", data, "--frames", "9"], "--frames: not a flag of bench:train"],
    ];
    for (const [argv, message] of cases)
      expect(parseFlags(argv), argv.join(" ")).to.be.a("string").that.includes(message);
  });

  it("reads the seconds of each epoch line and nothing else", () => {
    const log =
      "dataset: train 2\nepoch 1/2: loss 7.9, lr 0.0004, 27.2 s\nmetric: train_loss=7.9\nepoch 2/2: loss 5.6, lr 0.001, 15.8 s\n";
    expect(epochSeconds(log)).to.deep.equal([27.2, 15.8]);
    expect(epochSeconds("validation after epoch 10: mAP50-95 0.2550, mAP50 0.5923")).to.deep.equal([]);
  });
});
