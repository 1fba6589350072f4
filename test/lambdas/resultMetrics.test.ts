import { expect } from "chai";
import { inspectionRow } from "../../contracts/resultsLayout";
import { emitMetrics, metricsDocument, NotAResultError } from "../../lambdas/resultMetrics/handler";
import { RESULT_METRICS_NAMESPACE } from "../../lib/results/metrics";
import { deviceError, result } from "../harness/viewerMessages";

const NOW = Date.parse("2026-11-29T19:00:00.000Z");
const at = <T extends object>(message: T, timestamp: string) => ({ ...message, timestamp });

describe("the result-metrics function", () => {
  it("counts a failed part: an inspection with detections, per device, at the time of inspection", () => {
    const row = inspectionRow(at(result("a.jpg", [{ score: 0.9, box: [1, 1, 5, 5] }]), "2026-11-29T18:53:00.123Z"));
    const document = metricsDocument(row, NOW);
    expect(document).to.deep.include({ Device: "line-1", Inspections: 1, FailedParts: 1, Errors: 0 });
    const aws = document._aws as {
      Timestamp: number;
      CloudWatchMetrics: { Namespace: string; Dimensions: string[][] }[];
    };
    expect(aws.Timestamp).to.equal(Date.parse("2026-11-29T18:53:00.123Z"));
    expect(aws.CloudWatchMetrics[0]).to.deep.include({ Namespace: RESULT_METRICS_NAMESPACE, Dimensions: [["Device"]] });
  });

  it("counts a good part and an error message", () => {
    const good = metricsDocument(at(result("b.jpg", []), "2026-11-29T18:59:00.000Z"), NOW);
    expect(good).to.deep.include({ Inspections: 1, FailedParts: 0, Errors: 0 });
    const error = metricsDocument(
      at(deviceError("INFERENCE_FAILED", "boom", "c.jpg"), "2026-11-29T18:59:00.000Z"),
      NOW,
    );
    expect(error).to.deep.include({ Inspections: 0, FailedParts: 0, Errors: 1 });
  });

  it("puts a message older than EMF accepts at the time it arrives", () => {
    const old = metricsDocument(at(result("d.jpg", []), "2026-10-01T00:00:00.000Z"), NOW);
    expect((old._aws as { Timestamp: number }).Timestamp).to.equal(NOW);
  });

  it("refuses what is neither a result nor an error, naming why", () => {
    expect(() => metricsDocument({ thingName: "line-1" }, NOW)).to.throw(NotAResultError);
    const both = { ...result("e.jpg", []), code: "INFERENCE_FAILED" };
    expect(() => metricsDocument(both, NOW)).to.throw(NotAResultError, /exactly one of inference_results and code/);
    expect(() => metricsDocument({ ...result("f.jpg", []), thingName: "a/b" }, NOW)).to.throw(NotAResultError);
  });

  it("writes one raw JSON line (not a logger's envelope)", () => {
    const lines: string[] = [];
    emitMetrics(result("g.jpg", []), { write: (line) => lines.push(line), now: () => NOW });
    expect(lines).to.have.length(1);
    expect(lines[0].endsWith("\n")).to.equal(true);
    expect(JSON.parse(lines[0])).to.have.property("_aws");
  });
});
