import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { deviceImagesPrefix } from "../../contracts/dataLake";
import { EdgeProcess } from "../processes/edgeProcess";
import { FakeS3, FakeTokenExchangeService, StoredS3Object } from "../fakes/fakeS3";
import { gradientJpeg } from "../harness/images";
import { tempDir, oneScratchDetector } from "../harness/modelFolders";

const BUCKET = "qi-dev-data-lake";
const THING = "sigkill-uploader";

describe("edge CLI process sending images back", () => {
  const dir = tempDir("feedback-process");
  let model: string;
  let camera: string;
  let s3: FakeS3;
  let tes: FakeTokenExchangeService;
  const processes: EdgeProcess[] = [];

  before(async () => {
    model = oneScratchDetector(dir, 0.55);
    camera = path.join(dir, "camera");
    mkdirSync(camera);
    // Different bytes per file, so a mixed-up upload cannot pass for the right one.
    for (let i = 0; i < 8; i++) {
      writeFileSync(
        path.join(camera, `part-${i}.jpg`),
        await gradientJpeg(450, 300, { x: 30 * i, y: 50, w: 40, h: 6 }),
      );
    }
    tes = await FakeTokenExchangeService.start("greengrass-component-token");
    s3 = await FakeS3.start({ accessKeyId: tes.credentials.accessKeyId, sessionToken: tes.credentials.sessionToken });
  });
  afterEach(async () => {
    for (const p of processes.splice(0)) {
      p.kill("SIGKILL");
      await p.exit();
    }
  });
  after(async () => {
    await s3.close();
    await tes.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("loses no image when killed with SIGKILL while the bucket is down: the next start uploads them all", async () => {
    const uploadOutbox = path.join(dir, "upload-outbox");
    const args = [
      "--model",
      model,
      "--thing-name",
      THING,
      // Results have nowhere to go here; this test is about the images.
      "--broker",
      "mqtt://127.0.0.1:9",
      "--outbox",
      path.join(dir, "outbox"),
      "--upload",
      `s3://${BUCKET}`,
      "--upload-endpoint",
      s3.endpoint,
      "--upload-region",
      "eu-west-1",
      "--upload-outbox",
      uploadOutbox,
      "--uncertainty-max-per-hour",
      "1000",
    ];
    // Credentials as a Greengrass component with the token exchange service dependency gets them.
    const edge = (extra: string[]) => {
      const p = new EdgeProcess([...args, ...extra], tes.env);
      processes.push(p);
      return p;
    };
    const sentBack = (p: EdgeProcess) =>
      p.stdout.filter((l) => l.endsWith("sent for labeling)")).map((l) => l.split(" ")[0]);

    await s3.down();
    const first = edge(["--images", camera, "--interval", "0.1"]);
    await first.waitForLines(() => sentBack(first).length >= 6, 60_000);
    first.kill("SIGKILL");
    expect(await first.exit()).to.equal(null);
    const printed = sentBack(first);
    const queued = readdirSync(uploadOutbox).filter((f) => f.endsWith(".msg")).length;
    // Every image announced as sent is on disk; one more may have been stored just before the kill.
    expect(queued).to.be.within(printed.length, printed.length + 1);
    expect(s3.objects.size).to.equal(0);

    await s3.up();
    const later = path.join(dir, "later");
    mkdirSync(later);
    writeFileSync(path.join(later, "zz-after-restart.jpg"), await gradientJpeg(450, 300));
    const second = edge(["--images", later, "--interval", "60", "--shutdown-timeout", "0"]);
    const mine = (objects: StoredS3Object[]) => objects.filter((o) => o.key.startsWith(deviceImagesPrefix(THING)));
    await s3.waitFor((objects) => mine(objects).length >= queued + 1, 30_000);
    second.kill("SIGTERM");
    expect(await second.exit(), second.output()).to.equal(0);

    const stored = mine([...s3.objects.values()]);
    const fromFirst = stored.filter((o) => !o.key.endsWith("zz-after-restart.jpg"));
    expect(fromFirst).to.have.length(queued);
    for (const object of fromFirst) {
      const name = decodeURIComponent(object.metadata["image-name"]);
      expect(object.key.endsWith(`-${name}`), object.key).to.equal(true);
      expect(object.body.equals(readFileSync(path.join(camera, name))), `${name}: the original bytes`).to.equal(true);
      expect(object.metadata).to.include({ "thing-name": THING, reason: "below-max-score", "best-score": "0.55" });
    }
    // Each printed name arrived as often as it was printed (the camera cycles, so names repeat).
    const count = (names: string[]) => names.reduce((m, n) => m.set(n, (m.get(n) ?? 0) + 1), new Map<string, number>());
    const arrived = count(fromFirst.map((o) => decodeURIComponent(o.metadata["image-name"])));
    for (const [name, times] of count(printed)) expect(arrived.get(name), name).to.be.at.least(times);
    expect(stored.some((o) => o.key.endsWith("zz-after-restart.jpg"))).to.equal(true);
    expect(readdirSync(uploadOutbox).filter((f) => f.endsWith(".msg"))).to.deep.equal([]);

    // Signed with the token exchange service's temporary credentials, as on a Greengrass device.
    expect(tes.requests.length).to.be.greaterThan(0);
    expect(tes.requests.every((r) => r.authorized)).to.equal(true);
    for (const object of stored) {
      expect(object).to.include({
        accessKeyId: tes.credentials.accessKeyId,
        sessionToken: tes.credentials.sessionToken,
      });
    }
  });
});
