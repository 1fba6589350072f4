import { expect } from "chai";
import { ConfigError, parseStackConfig } from "../../config/schema";
import { readStackConfig } from "../../config/stackFiles";
import { PROJECT_DIR } from "../harness/pulumiProgram";

const dev = readStackConfig(PROJECT_DIR, "dev");
const problemsOf = (overrides: Record<string, string>) => {
  try {
    parseStackConfig({ ...dev, ...overrides }, "dev");
  } catch (error) {
    return (error as ConfigError).problems;
  }
  return [];
};

describe("the results config keys", () => {
  it("read the defaults of Pulumi.yaml into one typed object", () => {
    expect(parseStackConfig(dev, "dev").results).to.deep.equal({
      bufferSeconds: 300,
      defectRate: { threshold: 0.05, windowMinutes: 60, minInspections: 20 },
      errorRate: { threshold: 0.02 },
      silentMinutes: 30,
      query: { scanLimitBytes: 1024 * 1024 * 1024, days: 7, linePattern: "(line-[0-9]+)" },
    });
  });

  it("refuse values outside their range, naming the key and the form", () => {
    expect(problemsOf({ "qualityinspection:results.bufferSeconds": "30" })).to.deep.equal([
      'qualityinspection:results.bufferSeconds must be a whole number of seconds from 60 to 900 (how long Firehose gathers results before writing) (got "30")',
    ]);
    expect(problemsOf({ "qualityinspection:results.defectRateThreshold": "1.5" })[0]).to.match(
      /^qualityinspection:results.defectRateThreshold must be a number from 0 to 1/,
    );
    expect(problemsOf({ "qualityinspection:results.queryScanLimitMb": "5" })).to.have.length(1);
  });

  it("take a line pattern only with exactly one group, and nothing that is not a regular expression", () => {
    for (const bad of ["line-[0-9]+", "(line)-([0-9]+)", "(line", "(?<line>x)"]) {
      expect(problemsOf({ "qualityinspection:results.linePattern": bad }), bad).to.have.length(1);
    }
    expect(problemsOf({ "qualityinspection:results.linePattern": "^(cell-[a-z]+)-" })).to.deep.equal([]);
    expect(problemsOf({ "qualityinspection:results.linePattern": "^((?:a|b)+)x" })).to.deep.equal([]);
  });
});
