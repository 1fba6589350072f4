import { expect } from "chai";
import { SFNClient, StartExecutionCommand } from "@aws-sdk/client-sfn";
import { mockClient } from "aws-sdk-client-mock";
import { pipelineInputSchema } from "../../contracts/pipelineInput";
import { newImages, NewImagesDeps } from "../../lambdas/newImages/handler";
import { stepFunctionsStarter } from "../../lib/aws/stepFunctionsStarter";
import type { RunningExecution } from "../../lib/ports";
import { MemoryObjectStore, recordingLog } from "../fakes/memoryPorts";
import { mockedClient } from "../fakes/sdkMock";
import { failureOf } from "../harness/failure";

const STATE_MACHINE = "arn:aws:states:eu-west-1:123456789012:stateMachine:qi-dev-pipeline";
const NOW = new Date("2026-12-01T12:00:00Z");

const created = (key: string, bucket = "qi-test-lake") => ({
  version: "0",
  "detail-type": "Object Created",
  source: "aws.s3",
  time: NOW.toISOString(),
  detail: { bucket: { name: bucket }, object: { key, size: 1234 } },
});
const scheduled = { "detail-type": "Scheduled Event", source: "aws.events", time: NOW.toISOString(), detail: {} };

describe("NewImages (the new-images trigger)", () => {
  const sfn = mockedClient(() => mockClient(SFNClient));
  /** Step Functions' naming rule: a name starts one execution; the same name again is ExecutionAlreadyExists. */
  function stepFunctions() {
    const started: { name: string; input: unknown }[] = [];
    sfn()
      .on(StartExecutionCommand)
      .callsFake((input) => {
        if (started.some((run) => run.name === input.name)) {
          throw Object.assign(new Error("Execution already exists"), { name: "ExecutionAlreadyExists" });
        }
        started.push({ name: input.name, input: JSON.parse(input.input) });
        return { executionArn: `${STATE_MACHINE}:${input.name}`, startDate: NOW };
      });
    return started;
  }

  function deps(objects: MemoryObjectStore, running: RunningExecution[] = [], now = NOW): NewImagesDeps {
    return {
      objects,
      pipeline: stepFunctionsStarter(new SFNClient({}), STATE_MACHINE),
      running: { list: async () => running },
      settings: { stateMachineArn: STATE_MACHINE, minImages: 100, maxWaitMinutes: 60 },
      log: recordingLog(),
      now: () => now,
    };
  }

  it("records an arriving image in the pending index and waits while few images have waited briefly", async () => {
    const started = stepFunctions();
    const objects = new MemoryObjectStore();
    const result = await newImages(created("images/devices/line-1/2026-12-01/a.jpg"), deps(objects));
    expect(result).to.deep.equal({
      recorded: "images/devices/line-1/2026-12-01/a.jpg",
      pending: 1,
      decision: "waiting",
    });
    expect(objects.objects.has("pending/images/devices/line-1/2026-12-01/a.jpg")).to.equal(true);
    expect(started).to.have.length(0);
  });

  it("records nothing for objects that are not images of the data lake", async () => {
    stepFunctions();
    const objects = new MemoryObjectStore();
    for (const event of [created("images/notes.txt"), created("models/a.jpg"), created("images/a.jpg", "other")]) {
      expect((await newImages(event, deps(objects))).recorded).to.equal(null);
    }
    expect([...objects.objects.keys()]).to.deep.equal([]);
  });

  it("starts one run for a burst of 500 uploads, however the invocations interleave", async () => {
    const started = stepFunctions();
    const objects = new MemoryObjectStore();
    const keys = Array.from({ length: 500 }, (_, i) => `images/line-1/${String(i).padStart(3, "0")}.jpg`);
    // Concurrent invocations, each seeing no running execution yet (the worst case for a debounce).
    const results = await Promise.all(keys.map((key) => newImages(created(key), deps(objects))));
    expect(started).to.have.length(1);
    expect(started[0].name).to.match(/^new-images-[0-9a-f]{10}-\d+$/);
    expect(pipelineInputSchema.parse(started[0].input)).to.include({ mode: "train", trigger: "new-images" });
    const decisions = results.map((r) => r.decision);
    expect(decisions.filter((d) => d === "started")).to.have.length(1);
    expect(decisions.filter((d) => d !== "started").every((d) => d === "waiting" || d === "already-started")).to.equal(
      true,
    );
  });

  it("starts nothing while a run is going; the images wait for the next event or check", async () => {
    const started = stepFunctions();
    const objects = new MemoryObjectStore();
    for (let i = 0; i < 100; i++) objects.put(`pending/images/${i}.jpg`, "", new Date(NOW.getTime() - 1000));
    const running = [{ name: "scheduled-20261201T060000Z", startTime: "2026-12-01T06:00:00.000Z" }];
    const result = await newImages(scheduled, deps(objects, running));
    expect(result).to.include({ decision: "busy", pending: 100 });
    expect(started).to.have.length(0);
  });

  it("starts a run on the periodic check once the oldest image has waited long enough", async () => {
    const started = stepFunctions();
    const objects = new MemoryObjectStore();
    objects.put("pending/images/old.jpg", "", new Date(NOW.getTime() - 61 * 60_000));
    expect(await newImages(scheduled, deps(objects))).to.include({ decision: "started", pending: 1 });
    expect(started).to.have.length(1);
    // Nothing pending: nothing to start.
    expect(await newImages(scheduled, deps(new MemoryObjectStore()))).to.include({ decision: "nothing-pending" });
  });

  it("may start again in a later wait window when the oldest image is still pending (a failed run is retried)", async () => {
    const started = stepFunctions();
    const objects = new MemoryObjectStore();
    objects.put("pending/images/old.jpg", "", new Date(NOW.getTime() - 61 * 60_000));
    await newImages(scheduled, deps(objects));
    await newImages(scheduled, deps(objects, [], new Date(NOW.getTime() + 10 * 60_000)));
    await newImages(scheduled, deps(objects, [], new Date(NOW.getTime() + 61 * 60_000)));
    expect(started.map((run) => run.name)).to.have.length(2);
  });

  it("refuses an event that is neither an S3 object event nor the periodic check, naming the problem", async () => {
    stepFunctions();
    const failure = await failureOf(
      newImages({ source: "aws.s3", "detail-type": "Object Created" }, deps(new MemoryObjectStore())),
    );
    expect(failure.name).to.equal("InvalidEventError");
    expect(failure.message).to.match(/detail/);
  });
});
