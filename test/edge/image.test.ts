import { expect } from "chai";
import { Jimp } from "jimp";
import { decodeImage, ImageDecodeError } from "../../edge/src/image";
import { jpegDecoderHeapBytes } from "../../edge/src/jpeg";
import { failureOf } from "../harness/failure";
import { claimingSize } from "../harness/imageBombs";
import { gradientJpeg } from "../harness/images";

describe("edge image decoding under abuse", () => {
  let camera: Buffer;
  let freshHeap: number;
  before(async () => {
    camera = await gradientJpeg(450, 300);
    await decodeImage(camera);
    freshHeap = await jpegDecoderHeapBytes();
  });

  it("refuses a 20000×20000 JPEG bomb from its header, naming the size and the limit, without decoding it", async () => {
    const rssBefore = process.memoryUsage().rss;
    for (const [w, h] of [
      [20_000, 20_000],
      [8000, 8000],
    ]) {
      const error = await failureOf(decodeImage(claimingSize(camera, w, h)));
      expect(error).to.be.instanceOf(ImageDecodeError);
      expect((error as ImageDecodeError).code).to.equal("IMAGE_TOO_LARGE");
      expect(error.message).to.contain(`${w}x${h} pixels`).and.contain("limit of 40000000 pixels");
    }
    // Decoding would have taken 1.6 GB of WebAssembly heap; the decoder never saw the image.
    expect(await jpegDecoderHeapBytes()).to.equal(freshHeap);
    expect(process.memoryUsage().rss - rssBefore).to.be.below(100 * 1024 * 1024);
  });

  it("takes the pixel limit it is given: a 450×300 image is refused below 135000 pixels, decoded at it", async () => {
    const error = (await failureOf(decodeImage(camera, 134_999))) as ImageDecodeError;
    expect(error.code).to.equal("IMAGE_TOO_LARGE");
    expect(error.message).to.contain("450x300 pixels (0.1 MP) is more than the limit of 134999 pixels");
    expect((await decodeImage(camera, 135_000)).width).to.equal(450);
  });

  it("gives the decoder's memory back after a large image: the next image starts from a fresh heap", async function () {
    this.timeout(60_000);
    // 2048×2048 RGBA is 16 MiB, more than a fresh decoder's whole heap.
    const large = await gradientJpeg(2048, 2048);
    expect((await decodeImage(large)).width).to.equal(2048);
    expect(await jpegDecoderHeapBytes()).to.be.at.most(freshHeap);
    await decodeImage(camera);
    expect(await jpegDecoderHeapBytes()).to.equal(freshHeap);
  });

  it("says plainly why a file is not an image", async () => {
    const cases: [Buffer, string][] = [
      [Buffer.alloc(0), "empty file"],
      [Buffer.from("<html>not found</html>"), 'not an image (starts with "<html>no")'],
    ];
    for (const [bytes, reason] of cases) {
      const error = await failureOf(decodeImage(bytes));
      expect(error).to.be.instanceOf(ImageDecodeError);
      expect(error.message).to.equal(reason);
      expect(error.message).not.to.contain("MIME");
    }
  });

  it("decodes PNG through jimp, loaded only for it", async () => {
    const png = await new Jimp({ width: 5, height: 4, color: 0xff0000ff }).getBuffer("image/png");
    const image = await decodeImage(png);
    expect([image.width, image.height, image.data[0], image.data[1]]).to.deep.equal([5, 4, 255, 0]);
  });
});
