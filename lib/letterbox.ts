import { letterboxGeometry, LetterboxGeometry } from "../contracts/modelManifest";

/** A decoded image: RGBA, 8 bits per channel, rows top to bottom (jimp's bitmap). */
export interface Bitmap {
  width: number;
  height: number;
  data: Uint8Array;
}

export interface InputSize {
  width: number;
  height: number;
  /** 0–255, the same for R, G and B. */
  padValue: number;
}

/** Source taps of one destination pixel along one axis. */
interface AxisTaps {
  first: Int32Array;
  count: Int32Array;
  /** `maxTaps` weights per destination pixel, normalised to sum 1. */
  weights: Float32Array;
  maxTaps: number;
}

/**
 * Triangle-filter taps for resampling `srcSize` pixels to `dstSize`, widened by the scale when shrinking so every
 * source pixel contributes (antialiasing). This is the arithmetic of Pillow's BILINEAR resize, which torchvision uses
 * for PIL images, so the edge feeds the model what training fed it.
 */
function axisTaps(srcSize: number, dstSize: number): AxisTaps {
  const scale = srcSize / dstSize;
  const filterScale = Math.max(scale, 1);
  const support = filterScale;
  const maxTaps = Math.ceil(support) * 2 + 1;
  const first = new Int32Array(dstSize);
  const count = new Int32Array(dstSize);
  const weights = new Float32Array(dstSize * maxTaps);
  for (let d = 0; d < dstSize; d++) {
    const center = (d + 0.5) * scale;
    const lo = Math.max(0, Math.trunc(center - support + 0.5));
    const hi = Math.min(srcSize, Math.trunc(center + support + 0.5));
    let total = 0;
    let n = 0;
    for (let s = lo; s < hi && n < maxTaps; s++, n++) {
      const w = Math.max(0, 1 - Math.abs((s - center + 0.5) / filterScale));
      weights[d * maxTaps + n] = w;
      total += w;
    }
    for (let k = 0; k < n; k++) weights[d * maxTaps + k] /= total || 1;
    first[d] = lo;
    count[d] = n;
  }
  return { first, count, weights, maxTaps };
}

/**
 * Letterboxes an RGBA bitmap into a model input and normalises it in the same step: the scaled image is written
 * straight into a planar float32 tensor (NCHW, RGB, 0–1), the border filled with `padValue` — no intermediate image.
 * Geometry: `letterboxGeometry` from the model manifest contract. Reuses `out` when it has the right length.
 */
export class Letterboxer {
  private readonly planeSize: number;
  private cache?: { srcWidth: number; srcHeight: number; geometry: LetterboxGeometry; x: AxisTaps; y: AxisTaps };
  private rows = new Float32Array(0);

  constructor(readonly input: InputSize) {
    this.planeSize = input.width * input.height;
  }

  apply(image: Bitmap, out?: Float32Array): { tensor: Float32Array; geometry: LetterboxGeometry } {
    const { width: W, padValue } = this.input;
    const tensor = out && out.length === 3 * this.planeSize ? out : new Float32Array(3 * this.planeSize);
    const { geometry, x, y } = this.tapsFor(image.width, image.height);
    tensor.fill(padValue / 255);

    // Horizontal pass over every source row into `rows` (RGB interleaved, 0–255), then a vertical pass into the
    // tensor's three planes.
    const src = image.data;
    const srcStride = image.width * 4;
    const rowLength = geometry.width * 3;
    if (this.rows.length < image.height * rowLength) this.rows = new Float32Array(image.height * rowLength);
    const rows = this.rows;
    for (let sy = 0; sy < image.height; sy++) {
      const srcRow = sy * srcStride;
      const dstRow = sy * rowLength;
      for (let dx = 0; dx < geometry.width; dx++) {
        let r = 0;
        let g = 0;
        let b = 0;
        const w0 = dx * x.maxTaps;
        let p = srcRow + x.first[dx] * 4;
        for (let k = 0; k < x.count[dx]; k++, p += 4) {
          const w = x.weights[w0 + k];
          r += src[p] * w;
          g += src[p + 1] * w;
          b += src[p + 2] * w;
        }
        const o = dstRow + dx * 3;
        rows[o] = r;
        rows[o + 1] = g;
        rows[o + 2] = b;
      }
    }

    const green = this.planeSize;
    const blue = 2 * this.planeSize;
    for (let dy = 0; dy < geometry.height; dy++) {
      const w0 = dy * y.maxTaps;
      const taps = y.count[dy];
      const firstRow = y.first[dy];
      const outRow = (dy + geometry.padY) * W + geometry.padX;
      for (let dx = 0; dx < geometry.width; dx++) {
        let r = 0;
        let g = 0;
        let b = 0;
        let p = firstRow * rowLength + dx * 3;
        for (let k = 0; k < taps; k++, p += rowLength) {
          const w = y.weights[w0 + k];
          r += rows[p] * w;
          g += rows[p + 1] * w;
          b += rows[p + 2] * w;
        }
        const o = outRow + dx;
        tensor[o] = r / 255;
        tensor[green + o] = g / 255;
        tensor[blue + o] = b / 255;
      }
    }
    return { tensor, geometry };
  }

  private tapsFor(srcWidth: number, srcHeight: number) {
    if (this.cache?.srcWidth !== srcWidth || this.cache.srcHeight !== srcHeight) {
      const geometry = letterboxGeometry(srcWidth, srcHeight, this.input.width, this.input.height);
      this.cache = {
        srcWidth,
        srcHeight,
        geometry,
        x: axisTaps(srcWidth, geometry.width),
        y: axisTaps(srcHeight, geometry.height),
      };
    }
    return this.cache;
  }
}
