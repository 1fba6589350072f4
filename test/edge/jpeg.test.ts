import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import { decodeImage, ImageDecodeError } from "../../edge/src/image";
import { failureOf } from "../harness/failure";
import { gradientJpeg, NO_SCRATCHES_DATA, realSampleImages } from "../harness/images";
import { skipBecause } from "../harness/skip";

/** The RGB pixels Pillow decodes from a JPEG file, as training reads them; undefined without Pillow. */
function pillowDecode(file: string): Buffer | undefined {
  const script = [
    "import sys",
    "from PIL import Image",
    "sys.stdout.buffer.write(Image.open(sys.argv[1]).convert('RGB').tobytes())",
  ].join("\n");
  const result = spawnSync("/usr/bin/python3", ["-c", script, file], { maxBuffer: 64 * 1024 * 1024 });
  return result.status === 0 ? result.stdout : undefined;
}

describe("edge JPEG decoding (libjpeg-turbo as WebAssembly, inside jimp)", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "qi-jpeg-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  async function sampleJpegs(): Promise<string[]> {
    const real = realSampleImages().slice(0, 4);
    if (real.length > 0) return real;
    const file = path.join(dir, "gradient.jpg");
    writeFileSync(file, await gradientJpeg(450, 300, { x: 100, y: 80, w: 60, h: 9 }));
    return [file];
  }

  it("decodes camera JPEGs to exactly the pixels Pillow gives training", async function () {
    const files = await sampleJpegs();
    for (const file of files) {
      const reference = pillowDecode(file);
      if (!reference) skipBecause(this, "Pillow is not installed (apt-get install python3-pil); CI installs it");
      const image = await decodeImage(readFileSync(file));
      expect(reference.length).to.equal(image.width * image.height * 3);
      let differing = 0;
      for (let i = 0; i < image.width * image.height; i++) {
        for (let c = 0; c < 3; c++) if (image.data[i * 4 + c] !== reference[i * 3 + c]) differing++;
        expect(image.data[i * 4 + 3]).to.equal(255);
      }
      expect(differing, path.basename(file)).to.equal(0);
    }
    if (files.length === 1) console.log(`      (generated image: ${NO_SCRATCHES_DATA})`);
  });

  it("refuses a truncated or headless JPEG with libjpeg's reason, then decodes the next image as before", async () => {
    const [file] = await sampleJpegs();
    const bytes = readFileSync(file);
    const before = await decodeImage(bytes);
    const broken: [Buffer, RegExp][] = [
      // A camera file still being written: libjpeg would fill the rest with grey.
      [bytes.subarray(0, Math.floor(bytes.length / 2)), /corrupt JPEG: Premature end of JPEG file$/],
      [bytes.subarray(0, 20), /corrupt JPEG: Premature end of JPEG file; JPEG datastream contains no image$/],
    ];
    for (let round = 0; round < 20; round++) {
      for (const [data, reason] of broken) {
        const error = await failureOf(decodeImage(data));
        expect(error).to.be.instanceOf(ImageDecodeError);
        expect(error.message).to.match(reason);
      }
    }
    const after = await decodeImage(bytes);
    expect(after.width).to.equal(before.width);
    expect(Buffer.compare(Buffer.from(after.data), Buffer.from(before.data))).to.equal(0);
  });
});
