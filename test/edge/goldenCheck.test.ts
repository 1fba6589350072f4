import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { GOLDEN_OUTPUTS_FILE, goldenOutputsSchema } from "../../contracts/goldenOutputs";
import { checkGoldenOutputs } from "../../edge/src/goldenCheck";
import { Detector } from "../../edge/src/detector";
import { tempDir } from "../harness/modelFolders";
import { convDetectorModel } from "../harness/onnxModels";
import { EdgeProcess } from "../processes/edgeProcess";
import { GOLDEN_MODEL_SIZE, GOLDEN_MODEL_VERSION, shippedComponent } from "../harness/goldenComponent";

// The pipeline records what the shipped model computes on golden images (CompileOnnx, on x86 with the Lambda's JPEG
// decoder); the device's --check computes it again with its own decoder and fails on a difference.

describe("the device checks the model it will run on the golden images it ships with", () => {
  const dir = tempDir("golden");
  let component: string;
  let images: string;
  const processes: EdgeProcess[] = [];
  const check = (model: string) => {
    const p = new EdgeProcess(["--check", "--model", model, "--images", images, "--outbox", path.join(dir, "outbox")]);
    processes.push(p);
    return p;
  };

  before(async () => {
    component = await shippedComponent(dir);
    images = path.join(dir, "images");
    mkdirSync(images);
  });
  afterEach(async () => {
    for (const p of processes.splice(0)) {
      p.kill("SIGKILL");
      await p.exit();
    }
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("the component carries golden.json for its model version and the images it names", () => {
    const golden = goldenOutputsSchema.parse(
      JSON.parse(readFileSync(path.join(component, GOLDEN_OUTPUTS_FILE), "utf8")),
    );
    expect(golden.modelVersion).to.equal(GOLDEN_MODEL_VERSION);
    expect(golden.images.map((i) => i.file)).to.deep.equal(["golden-0.jpg", "golden-1.jpg", "golden-2.jpg"]);
  });

  it("--check passes on the shipped model: the device's decoder and onnxruntime agree within the tolerance", async () => {
    const p = check(component);
    expect(await p.exit(), p.output()).to.equal(0);
    expect(p.stdout.join("\n")).to.match(
      /^ok: model scratch-detector qi-dev-train-golden-1 .* golden images: 3 match \(largest difference [0-9.e-]+\)$/m,
    );
  });

  it("--check fails (exit 1, so Greengrass rolls back) on a model that computes something else, naming the image", async () => {
    const perturbed = path.join(dir, "perturbed");
    mkdirSync(perturbed);
    for (const file of ["model.json", GOLDEN_OUTPUTS_FILE, "golden-0.jpg", "golden-1.jpg", "golden-2.jpg"])
      writeFileSync(path.join(perturbed, file), readFileSync(path.join(component, file)));
    writeFileSync(path.join(perturbed, "model.onnx"), convDetectorModel({ size: GOLDEN_MODEL_SIZE, seed: 2 }));
    const p = check(perturbed);
    expect(await p.exit(), p.output()).to.equal(1);
    expect(p.stderr.join("\n")).to.match(/golden image golden-0\.jpg \(images\/line-1\/part-0\.jpg\): output output0/);
    expect(p.stdout.join("\n")).to.not.match(/^ok:/m);
  });

  it("a model folder without golden.json (a bare model, or one from before) checks nothing and passes", async () => {
    const detector = await Detector.load(component, { threads: 1, maxDetections: 100, bare: {} as never });
    try {
      const bare = path.join(dir, "bare");
      mkdirSync(bare);
      writeFileSync(path.join(bare, "model.onnx"), convDetectorModel({ size: GOLDEN_MODEL_SIZE, seed: 1 }));
      expect(await checkGoldenOutputs(detector, path.join(bare, "model.onnx"))).to.deep.equal({
        checked: 0,
        problems: [],
        maxAbsDiff: 0,
      });
    } finally {
      await detector.close();
    }
  });
});
