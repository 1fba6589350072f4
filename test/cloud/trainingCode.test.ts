import { expect } from "chai";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { Readable } from "node:stream";
import { trainingCodeArchive, writeTrainingCodeArchive } from "../../cloud/trainingCode";
import { readTarEntries } from "../../lib/tar";

describe("the training code archive", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "training-fixture-"));
    const write = (file: string, text: string) => {
      mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      writeFileSync(path.join(dir, file), text);
    };
    write("train.py", "print('train')\n");
    write("requirements.txt", "pycocotools==2.0.8\n");
    write("qi_training/model.py", "MODEL = 1\n");
    write("qi_training/__pycache__/model.cpython-311.pyc", "compiled");
    write("tests/test_model.py", "def test(): pass\n");
    write(".pytest_cache/README.md", "cache");
    write("convertLabels.ts", "export {};\n");
    write("README.md", "# training\n");
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("holds the Python source with train.py at its root, without caches, hidden files, tests and tools", async () => {
    const archive = trainingCodeArchive(dir);
    expect(archive.files).to.deep.equal(["qi_training/model.py", "requirements.txt", "train.py"]);
    expect(archive.hasEntryPoint).to.equal(true);
    const entries = await readTarEntries(Readable.from([archive.tarball]), () => true);
    expect(entries.get("train.py")!.toString()).to.equal("print('train')\n");
  });

  it("is stored under code/, named by its content", () => {
    const first = trainingCodeArchive(dir);
    expect(first.key).to.match(/^code\/training-[0-9a-f]{16}\.tar\.gz$/);
    expect(trainingCodeArchive(dir).key, "same files, same key").to.equal(first.key);
    writeFileSync(path.join(dir, "train.py"), "print('changed')\n");
    expect(trainingCodeArchive(dir).key, "a change, a new key").to.not.equal(first.key);
  });

  it("says when the entry point is missing", () => {
    rmSync(path.join(dir, "train.py"));
    expect(trainingCodeArchive(dir).hasEntryPoint).to.equal(false);
    expect(trainingCodeArchive(path.join(dir, "absent")).files).to.deep.equal([]);
  });

  it("is written to a file named like its key, for the upload", () => {
    const out = mkdtempSync(path.join(tmpdir(), "training-archive-"));
    try {
      const file = writeTrainingCodeArchive(dir, path.join(out, "code"));
      expect(file.key).to.equal(trainingCodeArchive(dir).key);
      expect(file.path).to.equal(path.join(out, "code", path.basename(file.key)));
      expect(readFileSync(file.path)).to.deep.equal(trainingCodeArchive(dir).tarball);
      expect(file.hasEntryPoint).to.equal(true);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
