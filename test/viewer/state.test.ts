import { expect } from "chai";
import { DEFAULT_RESULT_TOPIC, errorTopicOf } from "../../contracts/inferenceMessages";
import {
  PAYLOAD_EXCERPT_CHARS,
  ProblemEntry,
  REMEMBERED_MESSAGE_IDS,
  ResultEntry,
  Update,
  ViewerState,
} from "../../viewer/src/state";
import { deviceError, result } from "../harness/viewerMessages";

const TOPIC = DEFAULT_RESULT_TOPIC;
const ERRORS = errorTopicOf(TOPIC);
const bytes = (message: unknown) => Buffer.from(typeof message === "string" ? message : JSON.stringify(message));

function viewerState(history = 50) {
  return new ViewerState({ topic: TOPIC, passThreshold: 0.5, history, imagesServed: true });
}

function entryOf<E extends Update["event"]>(update: Update, event: E): Extract<Update, { event: E }> {
  expect(update.event).to.equal(event);
  return update as Extract<Update, { event: E }>;
}

describe("viewer state", () => {
  it("turns a result into a row: detections with class names, max score, inference time, model", () => {
    const state = viewerState();
    const message = result("part-001.jpg", [
      { score: 0.91, box: [81.2, 123.4, 163.8, 220] },
      { score: 0.3, box: [10, 10, 20, 30] },
    ]);
    const { entry, totals } = entryOf(state.receive(TOPIC, bytes(message)), "result");
    expect(entry).to.deep.include({
      kind: "result",
      messageId: message.messageId,
      imageName: "part-001.jpg",
      imageWidth: 450,
      imageHeight: 300,
      modelName: "scratch-detector",
      modelVersion: "train-2026-11-29",
      inferenceMs: 40,
      thingName: "line-1",
      maxScore: 0.91,
      passed: false,
    });
    expect(entry.detections).to.deep.equal([
      { classId: 0, className: "scratch", score: 0.91, box: [81.2, 123.4, 163.8, 220] },
      { classId: 0, className: "scratch", score: 0.3, box: [10, 10, 20, 30] },
    ]);
    expect(totals).to.deep.equal({
      inspected: 1,
      failed: 1,
      defectRate: 1,
      deviceErrors: 0,
      invalid: 0,
      duplicates: 0,
    });
  });

  it("fails an image with a detection at or above the pass threshold and passes one below it or without any", () => {
    const state = viewerState();
    const verdicts = [
      result("at.jpg", [{ score: 0.5, box: [0, 0, 1, 1] }]),
      result("below.jpg", [{ score: 0.4999, box: [0, 0, 1, 1] }]),
      result("none.jpg", []),
    ].map((m) => entryOf(state.receive(TOPIC, bytes(m)), "result").entry);
    expect(verdicts.map((e) => [e.imageName, e.passed, e.maxScore])).to.deep.equal([
      ["at.jpg", false, 0.5],
      ["below.jpg", true, 0.4999],
      ["none.jpg", true, null],
    ]);
    expect(state.snapshot().totals).to.include({ inspected: 3, failed: 1, defectRate: 1 / 3 });
  });

  it("drops a repeated result by messageId and counts the repeat", () => {
    const state = viewerState();
    const message = result("part-001.jpg", [{ score: 0.9, box: [0, 0, 5, 5] }]);
    state.receive(TOPIC, bytes(message));
    const repeat = entryOf(state.receive(TOPIC, bytes(message)), "duplicate");
    expect(repeat.messageId).to.equal(message.messageId);
    const snapshot = state.snapshot();
    expect(snapshot.results).to.have.length(1);
    expect(snapshot.totals).to.include({ inspected: 1, failed: 1, duplicates: 1 });
  });

  it("remembers a bounded number of message ids, forgetting the oldest first", () => {
    const state = viewerState();
    const first = result("first.jpg", [], { seed: "first" });
    state.receive(TOPIC, bytes(first));
    const template = JSON.stringify(result("other.jpg", [], { seed: "other" }));
    const id = JSON.parse(template).messageId as string;
    for (let i = 0; i < REMEMBERED_MESSAGE_IDS; i++) {
      // Distinct, schema-valid ids: the template's with its last 8 hex digits counting up.
      state.receive(TOPIC, bytes(template.replace(id, `${id.slice(0, -8)}${i.toString(16).padStart(8, "0")}`)));
    }
    expect(state.snapshot().totals).to.include({ inspected: REMEMBERED_MESSAGE_IDS + 1, duplicates: 0 });
    expect(state.receive(TOPIC, bytes(first)).event).to.equal("result");
    const newest = template.replace(
      id,
      `${id.slice(0, -8)}${(REMEMBERED_MESSAGE_IDS - 1).toString(16).padStart(8, "0")}`,
    );
    expect(state.receive(TOPIC, bytes(newest)).event).to.equal("duplicate");
  });

  it("lists the device's error messages, also once per messageId", () => {
    const state = viewerState();
    const error = deviceError("IMAGE_UNREADABLE", "not a JPEG", "broken.jpg");
    const { entry, totals } = entryOf(state.receive(ERRORS, bytes(error)), "problem");
    expect(entry).to.deep.include({
      kind: "deviceError",
      code: "IMAGE_UNREADABLE",
      message: "not a JPEG",
      imageName: "broken.jpg",
    });
    expect(totals.deviceErrors).to.equal(1);
    expect(state.receive(ERRORS, bytes(error)).event).to.equal("duplicate");
    expect(state.snapshot().problems).to.have.length(1);
  });

  it("keeps a message that breaks the schema as an invalid entry naming the problem", () => {
    const state = viewerState();
    const { modelVersion: _dropped, ...withoutVersion } = result("part-002.jpg", []);
    const outside = result("part-003.jpg", [{ score: 0.9, box: [400, 10, 440, 20] }]);
    outside.inference_results[0][2][0][2] = 460;
    const problems = [
      state.receive(TOPIC, bytes(withoutVersion)),
      state.receive(TOPIC, bytes(outside)),
      state.receive(TOPIC, bytes("{not json")),
      state.receive(ERRORS, bytes(result("on-the-error-topic.jpg", []))),
    ].map((u) => entryOf(u, "problem").entry as Extract<ProblemEntry, { kind: "invalid" }>);
    expect(problems.map((p) => p.kind)).to.deep.equal(["invalid", "invalid", "invalid", "invalid"]);
    expect(problems[0].problems.join()).to.contain("must have required property 'modelVersion'");
    expect(problems[1].problems.join()).to.contain("/inference_results/0/2/0 must lie inside the 450x300 image");
    expect(problems[2].problems[0]).to.match(/^payload is not JSON: /);
    expect(problems[2].payload).to.equal("{not json");
    expect(problems[3].topic).to.equal(ERRORS);
    expect(problems[3].problems.join()).to.contain("must NOT have additional properties");
    expect(state.snapshot().totals).to.include({ inspected: 0, invalid: 4 });
  });

  it("cuts a long invalid payload to an excerpt", () => {
    const state = viewerState();
    const entry = entryOf(state.receive(TOPIC, bytes("x".repeat(PAYLOAD_EXCERPT_CHARS + 500))), "problem")
      .entry as Extract<ProblemEntry, { kind: "invalid" }>;
    expect(entry.payload).to.have.length(PAYLOAD_EXCERPT_CHARS + 1);
    expect(entry.payload.endsWith("…")).to.equal(true);
  });

  it("keeps the newest results and problems up to the history size, and totals over everything", () => {
    const state = viewerState(3);
    for (let i = 0; i < 5; i++) {
      state.receive(TOPIC, bytes(result(`part-${i}.jpg`, i % 2 ? [{ score: 0.8, box: [0, 0, 1, 1] }] : [])));
      state.receive(TOPIC, bytes(`broken ${i}`));
    }
    const snapshot = state.snapshot();
    expect(snapshot.results.map((r: ResultEntry) => r.imageName)).to.deep.equal([
      "part-4.jpg",
      "part-3.jpg",
      "part-2.jpg",
    ]);
    expect(snapshot.problems.map((p) => (p.kind === "invalid" ? p.payload : ""))).to.deep.equal([
      "broken 4",
      "broken 3",
      "broken 2",
    ]);
    expect(snapshot.totals).to.include({ inspected: 5, failed: 2, invalid: 5, defectRate: 0.4 });
    expect(snapshot.settings).to.deep.equal({
      topic: TOPIC,
      errorTopic: ERRORS,
      passThreshold: 0.5,
      history: 3,
      imagesServed: true,
    });
  });
});
