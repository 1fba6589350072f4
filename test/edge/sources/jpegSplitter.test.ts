import { expect } from "chai";
import { JpegSplitter } from "../../../edge/src/sources/jpegSplitter";
import { gradientJpeg } from "../../harness/images";

describe("JPEG splitter", () => {
  it("cuts concatenated JPEGs into whole images whatever the chunk boundaries, dropping bytes between them", async () => {
    const images = [await gradientJpeg(40, 30), await gradientJpeg(20, 10), await gradientJpeg(8, 8)];
    const stream = Buffer.concat([Buffer.from("junk"), images[0], images[1], Buffer.from([0xff, 0x00]), images[2]]);
    for (const chunkSize of [1, 2, 3, 7, 100, stream.length]) {
      const splitter = new JpegSplitter(1 << 20);
      const out: Buffer[] = [];
      for (let i = 0; i < stream.length; i += chunkSize) out.push(...splitter.push(stream.subarray(i, i + chunkSize)));
      expect(
        out.map((b) => b.length),
        `chunks of ${chunkSize}`,
      ).to.deep.equal(images.map((b) => b.length));
      out.forEach((b, i) => expect(Buffer.compare(b, images[i])).to.equal(0));
    }
  });

  it("throws away an image that grows past the limit instead of holding it", async () => {
    const splitter = new JpegSplitter(100);
    expect(splitter.push(Buffer.concat([Buffer.from([0xff, 0xd8]), Buffer.alloc(200)]))).to.deep.equal([]);
    const small = await gradientJpeg(8, 8);
    expect(new JpegSplitter(small.length + 10).push(small)).to.have.length(1);
  });
});
