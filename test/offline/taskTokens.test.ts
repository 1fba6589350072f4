import { expect } from "chai";
import { LocalTaskTokens } from "../../offline/taskTokens";

describe("offline: local task tokens", () => {
  it("hands a callback task the output sent with its token, once", async () => {
    const tokens = new LocalTaskTokens();
    const token = LocalTaskTokens.newToken();
    const waiting = tokens.waitFor(token);
    await tokens.succeed(token, { ok: 1 });
    expect(await waiting).to.deep.equal({ ok: 1 });
    const again = await tokens.succeed(token, {}).catch((e: Error) => e);
    expect((again as Error).name).to.equal("TaskTimedOut");
    const unknown = await tokens.heartbeat("no-such-token").catch((e: Error) => e);
    expect((unknown as Error).name).to.equal("InvalidToken");
  });

  it("fails the task with the error sent, or with States.HeartbeatTimeout when heartbeats stop", async () => {
    const tokens = new LocalTaskTokens();
    const failed = tokens.waitFor("a").catch((e: Error) => e);
    await tokens.fail("a", "LabelingBatchRejected", "ana: blurry");
    expect(await failed).to.include({ name: "LabelingBatchRejected", message: "ana: blurry" });
    const started = Date.now();
    const silent = tokens.waitFor("b", 0.3).catch((e: Error) => e);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await tokens.heartbeat("b");
    expect(await silent).to.include({ name: "States.HeartbeatTimeout" });
    expect(Date.now() - started, "the heartbeat restarted the clock").to.be.at.least(480);
  });
});
