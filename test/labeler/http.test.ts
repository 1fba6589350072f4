import { expect } from "chai";
import { imageIdFromKey } from "../../contracts/labelRecord";
import { Labeler, LocalVersionedObjects, startLabeler } from "../../labeler";
import { MAX_BODY_BYTES } from "../../labeler/src/http";
import { MemoryObjectStore } from "../fakes/memoryPorts";
import { RecordingCallbacks, writeBatch } from "../harness/labelingBatches";

describe("labeler: the page's server refuses what is not a label, by name", function () {
  this.timeout(20_000);
  let labeler: Labeler;
  let imageKeys: string[];

  before(async () => {
    const objects = new MemoryObjectStore();
    ({ imageKeys } = await writeBatch(objects, { count: 2 }));
    labeler = await startLabeler(
      { job: "qi-dev-label-1", labeler: "ana" },
      { objects, versioned: new LocalVersionedObjects(objects), callbacks: new RecordingCallbacks() },
    );
  });
  after(() => labeler.close());

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the answers' shapes are what the tests check
  const call = async (method: string, path: string, body?: string | Buffer): Promise<{ status: number; body: any }> => {
    const response = await fetch(new URL(path, labeler.url), { method, body });
    const type = response.headers.get("content-type") ?? "";
    return {
      status: response.status,
      body: type.startsWith("application/json") ? await response.json() : await response.text(),
    };
  };
  const label = (extra: object = {}) =>
    JSON.stringify({ labeler: "ana", width: 90, height: 60, annotations: [], ...extra });

  it("serves the batch, its progress and the next image with its size", async () => {
    const batch = await call("GET", "/api/batch");
    expect(batch.body).to.deep.include({ jobName: "qi-dev-label-1", classes: ["scratch"], labeler: "ana" });
    const next = await call("POST", "/api/next", JSON.stringify({ labeler: "ana" }));
    expect(next.body.image).to.deep.include({
      id: imageIdFromKey(imageKeys[0]),
      width: 90,
      height: 60,
      annotations: [],
    });
    const image = await fetch(new URL(next.body.image.url, labeler.url));
    expect(image.headers.get("content-type")).to.equal("image/jpeg");
  });

  const hostile: [string, string, string, string | Buffer | undefined, number, string, RegExp][] = [
    ["bad JSON", "POST", "/api/next", "{labeler: ana", 400, "BadRequestError", /not JSON/],
    [
      "a body over the limit",
      "POST",
      "/api/next",
      Buffer.alloc(MAX_BODY_BYTES + 1, 32),
      413,
      "BodyTooLargeError",
      /larger than 65536/,
    ],
    [
      "a wrong image id",
      "PUT",
      `/api/labels/${"f".repeat(32)}`,
      label(),
      404,
      "UnknownImageError",
      /not an image of this batch/,
    ],
    [
      "a path for an image id",
      "GET",
      "/images/..%2F..%2Fetc%2Fpasswd",
      undefined,
      404,
      "UnknownImageError",
      /not an image/,
    ],
    ["a missing field", "PUT", "/api/labels/ID", JSON.stringify({ labeler: "ana" }), 400, "BadRequestError", /^width /],
    ["an unknown field", "PUT", "/api/labels/ID", label({ verdict: "ok" }), 400, "BadRequestError", /verdict/],
    [
      "a hostile name",
      "POST",
      "/api/next",
      JSON.stringify({ labeler: "<script>" }),
      400,
      "BadRequestError",
      /^labeler must be/,
    ],
    [
      "a negative box",
      "PUT",
      "/api/labels/ID",
      label({ annotations: [{ class_id: 0, left: -1, top: 0, width: 2, height: 2 }] }),
      400,
      "BadRequestError",
      /annotations\.0\.left/,
    ],
    [
      "too many boxes",
      "PUT",
      "/api/labels/ID",
      label({ annotations: Array(201).fill({ class_id: 0, left: 1, top: 1, width: 2, height: 2 }) }),
      400,
      "BadRequestError",
      /annotations/,
    ],
    [
      "an empty reason",
      "POST",
      "/api/reject",
      JSON.stringify({ labeler: "ana", reason: "  " }),
      400,
      "BadRequestError",
      /^reason/,
    ],
    ["an unknown route", "DELETE", "/api/batch", undefined, 404, "NotFound", /no DELETE/],
  ];
  for (const [what, method, path, body, status, error, message] of hostile) {
    it(`answers ${what} with ${status} ${error}`, async () => {
      const answer = await call(method, path.replace("ID", imageIdFromKey(imageKeys[1])), body);
      expect(answer.status).to.equal(status);
      expect(answer.body.error).to.equal(error);
      expect(answer.body.message).to.match(message);
    });
  }

  it("refuses to save an image someone else holds, with 409 ImageClaimedError", async () => {
    const id = imageIdFromKey(imageKeys[0]);
    const answer = await call("PUT", `/api/labels/${id}`, label({ labeler: "ben" }));
    expect(answer).to.deep.include({ status: 409 });
    expect(answer.body.error).to.equal("ImageClaimedError");
    expect(answer.body.message).to.contain("being labeled by ana");
  });
});
