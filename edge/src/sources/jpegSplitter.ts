/**
 * Cuts a byte stream of concatenated JPEGs (ffmpeg's `image2pipe` of MJPEG) into whole images: each runs from its
 * start marker FFD8 to its end marker FFD9. Inside a JPEG's entropy-coded data an FF byte is always followed by 00 or
 * a restart marker, so FFD9 ends the image. Bytes before a start marker are dropped; a partial image waits for more.
 */
export class JpegSplitter {
  private pending: Buffer = Buffer.alloc(0);

  constructor(private readonly maxBytes: number) {}

  /** Whole images completed by `chunk`. An image growing past `maxBytes` is thrown away. */
  push(chunk: Buffer): Buffer[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const images: Buffer[] = [];
    let searchFrom = 2;
    while (true) {
      const start = this.pending.indexOf(SOI);
      if (start < 0) {
        // A last FF may be the first half of a start marker.
        const last = this.pending.at(-1);
        this.pending = last === 0xff ? Buffer.from([0xff]) : Buffer.alloc(0);
        break;
      }
      if (start > 0) {
        this.pending = this.pending.subarray(start);
        searchFrom = 2;
      }
      const end = this.pending.indexOf(EOI, searchFrom);
      if (end < 0) {
        if (this.pending.length > this.maxBytes) this.pending = Buffer.alloc(0);
        break;
      }
      images.push(Buffer.from(this.pending.subarray(0, end + 2)));
      this.pending = this.pending.subarray(end + 2);
      searchFrom = 2;
    }
    return images;
  }
}

const SOI = Buffer.from([0xff, 0xd8]);
const EOI = Buffer.from([0xff, 0xd9]);
