import { expect } from "chai";
import { Jimp } from "jimp";
import { ImageDecodeError, readImageHeader } from "../../edge/src/imageHeader";
import { gradientJpeg } from "../harness/images";
import { claimingSize } from "../harness/imageBombs";

function refusal(bytes: Uint8Array): ImageDecodeError {
  try {
    readImageHeader(bytes);
  } catch (error) {
    expect(error).to.be.instanceOf(ImageDecodeError);
    return error as ImageDecodeError;
  }
  throw new Error("expected the header to be refused");
}

describe("image headers (size before decoding)", () => {
  it("reads the size of a JPEG from its frame header, and a forged one as it claims", async () => {
    const jpeg = await gradientJpeg(450, 300);
    expect(readImageHeader(jpeg)).to.deep.equal({ format: "jpeg", width: 450, height: 300 });
    expect(readImageHeader(claimingSize(jpeg, 20_000, 20_000))).to.deep.equal({
      format: "jpeg",
      width: 20_000,
      height: 20_000,
    });
  });

  it("reads PNG, BMP, GIF and TIFF sizes", async () => {
    const image = new Jimp({ width: 37, height: 21, color: 0x336699ff });
    for (const mime of ["image/png", "image/bmp", "image/gif", "image/tiff"] as const) {
      const header = readImageHeader(await image.getBuffer(mime));
      expect(header, mime).to.include({ width: 37, height: 21 });
      expect(mime).to.contain(header.format);
    }
  });

  it("leaves a JPEG cut off before its frame header to the decoder (it has no size to read)", async () => {
    expect(readImageHeader((await gradientJpeg(450, 300)).subarray(0, 20))).to.deep.equal({ format: "jpeg" });
  });

  it("says 'empty file' for zero bytes and what a file starts with when it is not an image", () => {
    expect(refusal(Buffer.alloc(0)).message).to.equal("empty file");
    expect(refusal(Buffer.from("hello, this is text")).message).to.equal('not an image (starts with "hello, t")');
    expect(refusal(Buffer.from([0, 1, 2, 0xfe])).message).to.equal("not an image (starts with 0x00 0x01 0x02 0xfe)");
    expect(refusal(Buffer.from("\x89PNG\r\n\x1a\n", "latin1")).message).to.match(/^truncated PNG: 8 bytes/);
    expect(refusal(Buffer.from("BM12")).message).to.match(/^truncated BMP: 4 bytes/);
    for (const bytes of [Buffer.alloc(0), Buffer.from("text")])
      expect(refusal(bytes).code).to.equal("IMAGE_UNREADABLE");
  });
});
