import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { expect } from "chai";
import { letterboxGeometry } from "../../contracts/modelManifest";
import { decodeImage } from "../../edge/src/image";
import { Bitmap, Letterboxer } from "../../lib/letterbox";
import { gradientJpeg, NO_SCRATCHES_DATA, realSampleImages } from "../harness/images";
import { skipBecause } from "../harness/skip";

function solid(width: number, height: number, rgb: [number, number, number]): Bitmap {
  const data = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) data.set([...rgb, 255], i * 4);
  return { width, height, data };
}

/** Pillow's BILINEAR resize of raw RGB pixels, the reference training uses; undefined without Pillow. */
function pillowResize(image: Bitmap, width: number, height: number): Uint8Array | undefined {
  const python = "/usr/bin/python3";
  if (!existsSync(python)) return undefined;
  const rgb = new Uint8Array(image.width * image.height * 3);
  for (let i = 0; i < image.width * image.height; i++) rgb.set(image.data.subarray(i * 4, i * 4 + 3), i * 3);
  const script = [
    "import sys",
    "from PIL import Image",
    `im = Image.frombytes("RGB", (${image.width}, ${image.height}), sys.stdin.buffer.read())`,
    `sys.stdout.buffer.write(im.resize((${width}, ${height}), Image.BILINEAR).tobytes())`,
  ].join("\n");
  const result = spawnSync(python, ["-c", script], { input: rgb, maxBuffer: 64 * 1024 * 1024 });
  return result.status === 0 ? new Uint8Array(result.stdout) : undefined;
}

describe("edge preprocessing: letterbox + normalise in one pass", () => {
  const input = { width: 640, height: 640, padValue: 114 };

  it("centres a 450×300 image in a 640×640 input and fills the border with the pad value", () => {
    const { tensor, geometry } = new Letterboxer(input).apply(solid(450, 300, [255, 0, 51]));
    expect(geometry).to.deep.equal(letterboxGeometry(450, 300, 640, 640));
    expect(geometry).to.include({ width: 640, height: 427, padX: 0, padY: 106 });
    const plane = 640 * 640;
    const at = (channel: number, x: number, y: number) => tensor[channel * plane + y * 640 + x];
    // Border rows above and below the image.
    for (const y of [0, 105, 533, 639]) expect(at(0, 320, y)).to.be.closeTo(114 / 255, 1e-6);
    // Inside: the image's colour, RGB planes in order, 0–1.
    for (const [x, y] of [
      [0, 106],
      [639, 532],
      [320, 320],
    ]) {
      expect(at(0, x, y)).to.be.closeTo(1, 1e-5);
      expect(at(1, x, y)).to.be.closeTo(0, 1e-5);
      expect(at(2, x, y)).to.be.closeTo(0.2, 1e-5);
    }
  });

  it("copies pixels unchanged when the image already has the input's size", async () => {
    const image = await decodeImage(await gradientJpeg(64, 48));
    const { tensor } = new Letterboxer({ width: 64, height: 48, padValue: 0 }).apply(image);
    for (const [x, y] of [
      [0, 0],
      [13, 7],
      [63, 47],
    ]) {
      const i = (y * 64 + x) * 4;
      expect(tensor[y * 64 + x] * 255).to.be.closeTo(image.data[i], 1e-3);
      expect(tensor[64 * 48 + y * 64 + x] * 255).to.be.closeTo(image.data[i + 1], 1e-3);
      expect(tensor[2 * 64 * 48 + y * 64 + x] * 255).to.be.closeTo(image.data[i + 2], 1e-3);
    }
  });

  it("reuses the tensor it is given for the next frame", () => {
    const letterboxer = new Letterboxer({ width: 32, height: 32, padValue: 0 });
    const first = letterboxer.apply(solid(20, 10, [10, 20, 30])).tensor;
    const second = letterboxer.apply(solid(10, 20, [40, 50, 60]), first).tensor;
    expect(second).to.equal(first);
    // The new portrait image's border is padding again, not the old landscape content.
    expect(second[16 * 32 + 0]).to.equal(0);
    expect(second[16 * 32 + 16] * 255).to.be.closeTo(40, 1e-3);
  });

  for (const [label, size] of [
    ["shrinks (450×300 → 320×213)", { width: 320, height: 320 }],
    ["enlarges (450×300 → 640×427)", { width: 640, height: 640 }],
  ] as const) {
    it(`matches Pillow's BILINEAR resize when it ${label}`, async function () {
      const [real] = realSampleImages();
      const image = await decodeImage(
        real ? readFileSync(real) : await gradientJpeg(450, 300, { x: 100, y: 80, w: 60, h: 9 }),
      );
      const { tensor, geometry } = new Letterboxer({ ...size, padValue: 114 }).apply(image);
      const reference = pillowResize(image, geometry.width, geometry.height);
      if (!reference) skipBecause(this, "Pillow is not installed (apt-get install python3-pil); CI installs it");
      let worst = 0;
      const plane = size.width * size.height;
      for (let y = 0; y < geometry.height; y++) {
        for (let x = 0; x < geometry.width; x++) {
          for (let c = 0; c < 3; c++) {
            const ours = tensor[c * plane + (y + geometry.padY) * size.width + x + geometry.padX] * 255;
            worst = Math.max(worst, Math.abs(ours - reference[(y * geometry.width + x) * 3 + c]));
          }
        }
      }
      // Pillow rounds to 8 bits between its two passes; we keep floats.
      expect(worst).to.be.lessThan(1.5);
      if (!real) console.log(`      (generated image: ${NO_SCRATCHES_DATA})`);
    });
  }
});
