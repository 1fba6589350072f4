import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { FolderReplaySource } from "../../../edge/src/sources/folderReplay";
import { isFrame, Pull } from "../../../edge/src/sources/source";
import { gradientJpeg } from "../../harness/images";
import { tempDir } from "../../harness/modelFolders";

const signal = new AbortController().signal;
const named = (pull: Pull) => (isFrame(pull) ? pull.name : pull);

describe("folder-replay source", () => {
  const dir = tempDir("replay");
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("cycles through the images in name order, forever, leaving the files where they are", async () => {
    const folder = path.join(dir, "cycle");
    mkdirSync(folder);
    for (const name of ["b.jpg", "a.jpg", "notes.txt"])
      writeFileSync(path.join(folder, name), await gradientJpeg(8, 8));
    const replay = new FolderReplaySource(folder, false);
    const names = [];
    for (let i = 0; i < 5; i++) names.push(named(await replay.next(signal)));
    expect(names).to.deep.equal(["a.jpg", "b.jpg", "a.jpg", "b.jpg", "a.jpg"]);
  });

  it("passes over an image that failed until the file changes, and says so when every image failed", async () => {
    const folder = path.join(dir, "failed");
    mkdirSync(folder);
    writeFileSync(path.join(folder, "bad.jpg"), "not an image");
    writeFileSync(path.join(folder, "good.jpg"), await gradientJpeg(8, 8));
    const replay = new FolderReplaySource(folder, false);
    const bad = await replay.next(signal);
    expect(named(bad)).to.equal("bad.jpg");
    if (isFrame(bad)) await bad.settle!("failed");
    const names = [];
    for (let i = 0; i < 4; i++) names.push(named(await replay.next(signal)));
    expect(names).to.deep.equal(["good.jpg", "good.jpg", "good.jpg", "good.jpg"]);
    writeFileSync(path.join(folder, "bad.jpg"), "changed, and still not an image");
    expect([named(await replay.next(signal)), named(await replay.next(signal))]).to.include("bad.jpg");

    const onlyBad = new FolderReplaySource(path.join(dir, "only-bad"), false);
    mkdirSync(onlyBad.dir);
    writeFileSync(path.join(onlyBad.dir, "bad.jpg"), "not an image");
    const frame = await onlyBad.next(signal);
    if (isFrame(frame)) await frame.settle!("failed");
    expect(await onlyBad.next(signal)).to.deep.equal({
      idle: `every image in ${onlyBad.dir} failed; waiting for one to change`,
    });
  });

  it("with --once, hands out each image once and then ends", async () => {
    const folder = path.join(dir, "once");
    mkdirSync(folder);
    for (const name of ["a.jpg", "b.jpg"]) writeFileSync(path.join(folder, name), await gradientJpeg(8, 8));
    const replay = new FolderReplaySource(folder, true);
    expect([named(await replay.next(signal)), named(await replay.next(signal))]).to.deep.equal(["a.jpg", "b.jpg"]);
    expect(replay.ended).to.equal(true);
    expect(await replay.next(signal)).to.equal("end");
  });
});
