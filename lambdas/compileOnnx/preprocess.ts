import { letterboxGeometry } from "../../contracts/modelManifest";

export interface RgbaImage {
  width: number;
  height: number;
  /** RGBA bytes, row by row. */
  data: Uint8Array;
}

/**
 * The model input for one image, as `model.json` describes it: letterboxed into width × height (bilinear scaling,
 * centred, `padValue` around), RGB, NCHW, float32 in 0–1.
 */
export function letterboxTensor(image: RgbaImage, width: number, height: number, padValue: number): Float32Array {
  const geometry = letterboxGeometry(image.width, image.height, width, height);
  const plane = width * height;
  const tensor = new Float32Array(3 * plane).fill(padValue / 255);
  for (let y = 0; y < geometry.height; y++) {
    // Sample at pixel centres of the scaled image, mapped back onto the source.
    const sy = Math.min(Math.max((y + 0.5) / geometry.scale - 0.5, 0), image.height - 1);
    const y0 = Math.floor(sy);
    const y1 = Math.min(y0 + 1, image.height - 1);
    const fy = sy - y0;
    for (let x = 0; x < geometry.width; x++) {
      const sx = Math.min(Math.max((x + 0.5) / geometry.scale - 0.5, 0), image.width - 1);
      const x0 = Math.floor(sx);
      const x1 = Math.min(x0 + 1, image.width - 1);
      const fx = sx - x0;
      const target = (y + geometry.padY) * width + x + geometry.padX;
      for (let c = 0; c < 3; c++) {
        const at = (px: number, py: number) => image.data[(py * image.width + px) * 4 + c];
        const top = at(x0, y0) * (1 - fx) + at(x1, y0) * fx;
        const bottom = at(x0, y1) * (1 - fx) + at(x1, y1) * fx;
        tensor[c * plane + target] = (top * (1 - fy) + bottom * fy) / 255;
      }
    }
  }
  return tensor;
}
