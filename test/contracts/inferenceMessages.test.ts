import { expect } from "chai";
import { inferenceErrorProblems, inferenceResultProblems, messageValidators } from "../../contracts/inferenceMessages";
import { errorMessage, resultMessage } from "../../edge/src/messages";
import resultV10 from "../fixtures/contracts/inferenceResult.v1.0.schema.json";
import errorV10 from "../fixtures/contracts/inferenceError.v1.0.schema.json";

/**
 * Schema evolution across versions (docs/contracts.md, Evolution). The fixtures are the schemas as they were before
 * schemaMinor existed (v1.0: no source, capturedAt, partId, line, station, framesSkipped, NO_FRAME), byte for byte.
 */
describe("inference message schema evolution", () => {
  const v10 = messageValidators(resultV10, errorV10);
  const inspection = {
    width: 450,
    height: 300,
    detections: [{ classId: 0, score: 0.9, box: [10, 10, 50, 40] as [number, number, number, number] }],
    timings: { decode: 1, preprocess: 1, run: 1, postprocess: 1 },
  };
  const model = { name: "scratch-detector", version: "v7", classes: ["scratch"] };
  const frame = {
    source: "stream",
    capturedAt: "2026-12-05T08:00:00.000Z",
    partId: "P-1",
    line: "L1",
    station: "S2",
    framesSkipped: 4,
  };
  const v11Result = resultMessage("stream-2026-12-05T08-00-00.000Z.jpg", inspection, model, { thingName: "t", frame });
  const v11Error = errorMessage("NO_FRAME", "no frame for part P-1 within 5 s", { thingName: "t", frame });

  it("today's messages carry the major version 1 and minor 1", () => {
    expect([v11Result.schemaVersion, v11Result.schemaMinor]).to.deep.equal([1, 1]);
    expect(inferenceResultProblems(v11Result, { exact: true })).to.deep.equal([]);
    expect(inferenceErrorProblems(v11Error, { exact: true })).to.deep.equal([]);
  });

  it("a consumer built against v1.0 accepts v1.1 messages under the rule, and leaves them whole", () => {
    const copy = structuredClone(v11Result);
    expect(inferenceResultProblems(copy, { against: v10 })).to.deep.equal([]);
    expect(copy).to.deep.equal(v11Result);
    expect(inferenceErrorProblems(v11Error, { against: v10 })).to.deep.equal([]);
  });

  it("without the rule (v1.0's exact check, what a viewer did before it) the same messages are refused", () => {
    expect(inferenceResultProblems(v11Result, { against: v10, exact: true }).join()).to.contain(
      "must NOT have additional properties",
    );
    expect(inferenceErrorProblems(v11Error, { against: v10, exact: true }).join()).to.contain(
      "must be equal to one of the allowed values",
    );
  });

  it("the rule ignores only what is unknown: a v1.0 consumer still refuses a broken known field or another major", () => {
    expect(inferenceResultProblems({ ...v11Result, imageWidth: 0 }, { against: v10 }).join()).to.contain(
      "/imageWidth must be >= 1",
    );
    expect(inferenceResultProblems({ ...v11Result, schemaVersion: 2 }, { against: v10 }).join()).to.contain(
      "/schemaVersion must be equal to constant",
    );
    const { thingName: _, ...withoutThing } = v11Error;
    expect(inferenceErrorProblems(withoutThing, { against: v10 }).join()).to.contain("thingName");
  });

  it("a v1.1 consumer reads a v1.0 message (no minor, none of the new fields)", () => {
    const {
      schemaMinor: _m,
      source: _s,
      capturedAt: _c,
      partId: _p,
      line: _l,
      station: _st,
      framesSkipped: _f,
      ...v10Result
    } = v11Result;
    expect(inferenceResultProblems(v10Result, { against: v10, exact: true })).to.deep.equal([]);
    expect(inferenceResultProblems(v10Result, { exact: true })).to.deep.equal([]);
  });
});
