import { expect } from "chai";
import { ConfigError } from "../../config/schema";
import { readStackConfig } from "../../config/stackFiles";
import { OFFLINE_MAX_EPOCHS, offlineConfig, parseConfigAssignment } from "../../offline/settings";
import { PROJECT_DIR } from "../harness/pulumiProgram";

const dev = () => readStackConfig(PROJECT_DIR, "dev");

describe("offline: the stack config of a local run", () => {
  it("reads the stack file as it is when CPU training can follow it (dev)", () => {
    const { config, changes } = offlineConfig(dev(), "dev", {});
    expect(config.namePrefix).to.equal("qi-dev");
    expect(config.labeling.maxImagesPerJob).to.equal(50);
    expect(config.evaluation.minMap50_95).to.equal(0.3);
    expect(config.training.epochs).to.equal(20);
    expect(changes).to.deep.equal([]);
  });

  it("caps the epochs for CPU training, saying so (prod)", () => {
    const { config, changes } = offlineConfig(readStackConfig(PROJECT_DIR, "prod"), "prod", {});
    expect(config.training.epochs).to.equal(OFFLINE_MAX_EPOCHS);
    expect(config.registry.approvalStatus).to.equal("PendingManualApproval");
    expect(changes).to.have.length(1);
    expect(changes[0]).to.include({ key: "training.epochs", from: "60", to: String(OFFLINE_MAX_EPOCHS) });
  });

  it("lets --config set any key, over the offline defaults", () => {
    const { config, changes } = offlineConfig(dev(), "dev", {
      "qualityinspection:training.epochs": "30",
      "qualityinspection:evaluation.minMap50_95": "0.9",
    });
    expect(config.training.epochs).to.equal(30);
    expect(config.evaluation.minMap50_95).to.equal(0.9);
    expect(changes.map((c) => [c.key, c.to, c.why])).to.deep.equal([
      ["training.epochs", "30", "--config"],
      ["evaluation.minMap50_95", "0.9", "--config"],
    ]);
  });

  it("runs the onnx compile branch instead of a Neo target, which only AWS can compile for", () => {
    const { config, changes } = offlineConfig(
      { ...dev(), "qualityinspection:compilation.target": "jetson_xavier" },
      "dev",
      {},
    );
    expect(config.compilation.target).to.equal("onnx");
    expect(changes.find((c) => c.key === "compilation.target")).to.include({ from: "jetson_xavier", to: "onnx" });
  });

  it("refuses a bad value or an unknown key with the key and the form it wants", () => {
    const problems = (assignments: Record<string, string>) => {
      try {
        offlineConfig(dev(), "dev", assignments);
      } catch (error) {
        return (error as ConfigError).problems;
      }
      return [];
    };
    expect(problems({ "qualityinspection:training.epochs": "many" })).to.deep.equal([
      'qualityinspection:training.epochs must be a whole number from 1 to 1000 (got "many")',
    ]);
    expect(problems({ "qualityinspection:training.epoch": "5" })[0]).to.contain("is not a config key of this program");
  });

  it("parses --config assignments, short or qualified", () => {
    expect(parseConfigAssignment("training.epochs=5")).to.deep.equal(["qualityinspection:training.epochs", "5"]);
    expect(parseConfigAssignment("aws:region=eu-central-1")).to.deep.equal(["aws:region", "eu-central-1"]);
    expect(() => parseConfigAssignment("training.epochs")).to.throw(
      ConfigError,
      "--config must look like <key>=<value>",
    );
  });
});
