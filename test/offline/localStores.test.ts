import { appendFileSync, mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { ObjectNotFoundError } from "../../lib/errors";
import { readAll } from "../../lib/streams";
import { FileLabelStore } from "../../offline/fileLabelStore";
import { FileObjectStore } from "../../offline/fileObjectStore";
import { LocalModelRegistry } from "../../offline/localModelRegistry";
import { labelFor } from "../harness/labels";
import { tempDir } from "../harness/modelFolders";

describe("offline: the data lake as a folder", () => {
  const dir = tempDir("lake");
  const lake = new FileObjectStore(path.join(dir, "bucket"), "qi-dev-data-lake-local");
  after(() => rmSync(dir, { recursive: true, force: true }));

  const keys = async (prefix: string) => {
    const found: string[] = [];
    for await (const object of lake.list(prefix)) found.push(object.key);
    return found;
  };

  it("lists every object under a prefix in key order, like ListObjectsV2", async () => {
    for (const key of [
      "images/line-2/b.jpg",
      "images/line-1/z.jpg",
      "images/line-1/a.jpg",
      "images/l.jpg",
      "labeling/x",
    ]) {
      await lake.write(key, key, "text/plain");
    }
    expect(await keys("images/")).to.deep.equal([
      "images/l.jpg",
      "images/line-1/a.jpg",
      "images/line-1/z.jpg",
      "images/line-2/b.jpg",
    ]);
    // A prefix is a string prefix, not a folder.
    expect(await keys("images/line")).to.deep.equal([
      "images/line-1/a.jpg",
      "images/line-1/z.jpg",
      "images/line-2/b.jpg",
    ]);
    expect(await keys("nothing/")).to.deep.equal([]);
  });

  it("reads back what it wrote, copies, and reports sizes and missing objects", async () => {
    await lake.write("models/job/output/model.tar.gz", Buffer.from([1, 2, 3]), "application/gzip");
    expect([...(await readAll(await lake.read("models/job/output/model.tar.gz")))]).to.deep.equal([1, 2, 3]);
    await lake.copy("models/job/output/model.tar.gz", "components/c/1.0.1/model.tar.gz");
    expect((await lake.head("components/c/1.0.1/model.tar.gz"))?.size).to.equal(3);
    expect(await lake.head("components/c/1.0.1/other")).to.equal(undefined);
    await lake.read("no/such/key").then(
      () => expect.fail("read a missing object"),
      (error) => expect(error).to.be.instanceOf(ObjectNotFoundError),
    );
    await lake.copy("no/such/key", "x").then(
      () => expect.fail("copied a missing object"),
      (error) => expect(error).to.be.instanceOf(ObjectNotFoundError),
    );
  });

  it("uploads piece by piece: nothing under the key until closed, nothing left behind when aborted", async () => {
    await lake.write("datasets/d/train/annotations.jsonl", "old\n", "application/jsonlines");
    const upload = lake.upload("datasets/d/train/annotations.jsonl");
    await upload.write("a\n");
    await upload.write(Buffer.from("b\n"));
    const whileOpen = (await readAll(await lake.read("datasets/d/train/annotations.jsonl"))).toString();
    await upload.close();
    expect(whileOpen, "the old object until close").to.equal("old\n");
    expect((await readAll(await lake.read("datasets/d/train/annotations.jsonl"))).toString()).to.equal("a\nb\n");

    const aborted = lake.upload("datasets/d/test/annotations.jsonl");
    await aborted.write("never");
    await aborted.abort();
    expect(await lake.head("datasets/d/test/annotations.jsonl")).to.equal(undefined);
    const keys: string[] = [];
    for await (const object of lake.list("datasets/")) keys.push(object.key);
    expect(keys, "no temporary file").to.deep.equal(["datasets/d/train/annotations.jsonl"]);
  });

  it("refuses keys that would leave the bucket folder", () => {
    for (const key of ["../outside", "images/../../x", "/etc/passwd", ""]) {
      expect(() => lake.pathOf(key), key).to.throw("is not an object key");
    }
  });
});

describe("offline: the label store as a JSON-lines file", () => {
  const dir = tempDir("labels");
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("answers with the newest record of each image, also after reopening", async () => {
    const file = path.join(dir, "newest", "labels.jsonl");
    const store = new FileLabelStore(file);
    const key = "images/a.jpg";
    await store.put(labelFor(key, { event_time: 200, status: "REJECTED" }));
    await store.put(labelFor(key, { event_time: 100 }));
    expect((await store.get([labelFor(key).image_id])).found.get(labelFor(key).image_id)?.status).to.equal("REJECTED");
    const reopened = new FileLabelStore(file);
    const lookup = await reopened.get([labelFor(key).image_id, labelFor("images/none.jpg").image_id]);
    expect(lookup.found.size).to.equal(1);
    expect(lookup.found.get(labelFor(key).image_id)?.event_time).to.equal(200);
  });

  it("keeps every record of concurrent writes", async () => {
    const file = path.join(dir, "concurrent.jsonl");
    const store = new FileLabelStore(file);
    const ids = Array.from({ length: 60 }, (_, i) => `images/${i}.jpg`);
    // Concurrent first calls, as IngestLabels makes them: the store answers for all of them, and so does the file.
    await Promise.all(ids.map((key) => store.put(labelFor(key))));
    expect((await store.get(ids.map((key) => labelFor(key).image_id))).found.size).to.equal(60);
    expect((await new FileLabelStore(file).all()).length).to.equal(60);
  });

  it("reports a stored record that breaks the contract as invalid, so the image is labeled again", async () => {
    const file = path.join(dir, "broken", "labels.jsonl");
    mkdirSync(path.dirname(file), { recursive: true });
    const record = labelFor("images/b.jpg");
    appendFileSync(file, `${JSON.stringify({ ...record, annotations: '[{"left": -1}]' })}\n`);
    const lookup = await new FileLabelStore(file).get([record.image_id]);
    expect(lookup.found.size).to.equal(0);
    expect(lookup.invalid.get(record.image_id)).to.match(/labels.jsonl line 1: annotations/);
  });

  it("refuses to store a record that breaks the contract", async () => {
    const store = new FileLabelStore(path.join(dir, "refuse.jsonl"));
    await store.put({ ...labelFor("images/c.jpg"), status: "MAYBE" as never }).then(
      () => expect.fail("stored a bad record"),
      (error: Error) => expect(error.message).to.contain("status"),
    );
  });
});

describe("offline: the model registry as a JSON file", () => {
  const dir = tempDir("registry");
  after(() => rmSync(dir, { recursive: true, force: true }));
  const request = (token: string, status = "Approved") => ({
    ModelPackageGroupName: "qi-dev-scratch-detector",
    ModelPackageDescription: "gate passed",
    ModelApprovalStatus: status,
    InferenceSpecification: { Containers: [{ Image: "img", ModelDataUrl: "s3://b/models/x/output/model.tar.gz" }] },
    CustomerMetadataProperties: { modelVersion: token },
    ClientToken: token,
  });

  it("numbers packages per group, returns the first package for a repeated client token, and describes them", async () => {
    const registry = new LocalModelRegistry(path.join(dir, "registry.json"), "eu-west-1", "000000000000");
    const first = await registry.createModelPackage(request("train-1"));
    expect(first.ModelPackageArn).to.equal(
      "arn:aws:sagemaker:eu-west-1:000000000000:model-package/qi-dev-scratch-detector/1",
    );
    expect(await registry.createModelPackage(request("train-1"))).to.deep.equal(first);
    const second = await registry.createModelPackage(request("train-2", "Rejected"));
    expect(second.ModelPackageArn).to.match(/\/2$/);
    const described = await registry.describeModelPackage({ ModelPackageName: second.ModelPackageArn });
    expect(described).to.include({ ModelPackageVersion: 2, ModelApprovalStatus: "Rejected" });
    expect(described.CustomerMetadataProperties).to.deep.equal({ modelVersion: "train-2" });
  });

  it("fails like SageMaker on a bad request or an unknown package", async () => {
    const registry = new LocalModelRegistry(path.join(dir, "bad.json"), "eu-west-1", "000000000000");
    await registry.createModelPackage({ ...request("t"), ModelApprovalStatus: "Maybe" }).then(
      () => expect.fail("accepted a bad status"),
      (error: Error) => expect(error).to.include({ name: "SageMaker.ValidationException" }),
    );
    await registry.describeModelPackage({ ModelPackageName: "arn:aws:sagemaker:eu-west-1:0:model-package/g/9" }).then(
      () => expect.fail("described a missing package"),
      (error: Error) => expect(error.message).to.contain("does not exist"),
    );
  });
});
