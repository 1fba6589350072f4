import { expect } from "chai";
import { Jimp } from "jimp";
import { annotationSchema } from "../../contracts/labelRecord";
import { seededRandom, synthesizePart, syntheticImage } from "../../offline/synthetic";

/** Pixels whose colour the scratches changed, as [x, y]. */
function changedPixels(part: ReturnType<typeof synthesizePart>): [number, number][] {
  const changed: [number, number][] = [];
  for (let y = 0; y < part.height; y++) {
    for (let x = 0; x < part.width; x++) {
      const i = (y * part.width + x) * 4;
      if ([0, 1, 2].some((c) => part.pixels[i + c] !== part.background[i + c])) changed.push([x, y]);
    }
  }
  return changed;
}

describe("offline: synthetic scratched parts", () => {
  it("draws numbers from a seed, the same every time", () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const drawn = Array.from({ length: 5 }, () => a());
    expect(Array.from({ length: 5 }, () => b())).to.deep.equal(drawn);
    expect(drawn.every((n) => n >= 0 && n < 1)).to.equal(true);
    expect(seededRandom(43)()).to.not.equal(drawn[0]);
  });

  it("gives the same JPEG bytes and boxes for the same seed and index, and different ones otherwise", async () => {
    const first = await syntheticImage(7, 3);
    const again = await syntheticImage(7, 3);
    expect(again.jpeg.equals(first.jpeg)).to.equal(true);
    expect(again.annotations).to.deep.equal(first.annotations);
    expect((await syntheticImage(7, 4)).jpeg.equals(first.jpeg)).to.equal(false);
    expect((await syntheticImage(8, 3)).jpeg.equals(first.jpeg)).to.equal(false);
  });

  it("does not make part i depend on the parts before it", () => {
    const direct = synthesizePart(5, 9);
    for (let i = 0; i < 9; i++) synthesizePart(5, i);
    expect(synthesizePart(5, 9).pixels).to.deep.equal(direct.pixels);
  });

  it("puts every pixel a scratch changed inside a box, and every box edge on a changed pixel", () => {
    let scratches = 0;
    let clean = 0;
    for (let index = 0; index < 24; index++) {
      const part = synthesizePart(3, index);
      const changed = changedPixels(part);
      const inside = (x: number, y: number) =>
        part.annotations.some((b) => x >= b.left && x < b.left + b.width && y >= b.top && y < b.top + b.height);
      expect(
        changed.filter(([x, y]) => !inside(x, y)),
        `part ${index}`,
      ).to.deep.equal([]);
      for (const box of part.annotations) {
        expect(annotationSchema.safeParse(box).success).to.equal(true);
        expect(box.left + box.width).to.be.at.most(part.width);
        expect(box.top + box.height).to.be.at.most(part.height);
        const inBox = changed.filter(
          ([x, y]) => x >= box.left && x < box.left + box.width && y >= box.top && y < box.top + box.height,
        );
        // Tight: some changed pixel touches each of the four edges.
        expect(
          inBox.some(([x]) => x === box.left),
          `left edge of ${JSON.stringify(box)}`,
        ).to.equal(true);
        expect(
          inBox.some(([x]) => x === box.left + box.width - 1),
          "right edge",
        ).to.equal(true);
        expect(
          inBox.some(([, y]) => y === box.top),
          "top edge",
        ).to.equal(true);
        expect(
          inBox.some(([, y]) => y === box.top + box.height - 1),
          "bottom edge",
        ).to.equal(true);
      }
      scratches += part.annotations.length;
      if (part.annotations.length === 0) {
        clean += 1;
        expect(changed).to.deep.equal([]);
      }
    }
    // Parts with one to three scratches, and some without any, as on a real line.
    expect(scratches).to.be.greaterThan(24);
    expect(clean).to.be.greaterThan(0);
  });

  it("draws boxes neither slivers nor blobs: scratches run at least 15° off the axes", () => {
    for (let index = 0; index < 40; index++) {
      for (const box of synthesizePart(11, index).annotations) {
        const ratio = Math.max(box.width, box.height) / Math.min(box.width, box.height);
        expect(ratio, JSON.stringify(box)).to.be.below(6);
        expect(Math.max(box.width, box.height)).to.be.at.least(15);
      }
    }
  });

  it("encodes a camera-sized JPEG that decodes to the part", async () => {
    const image = await syntheticImage(1, 0);
    const decoded = await Jimp.fromBuffer(image.jpeg);
    expect([decoded.bitmap.width, decoded.bitmap.height]).to.deep.equal([450, 300]);
    expect(image.name).to.equal("part-0000.jpg");
  });
});
