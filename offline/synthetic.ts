import { Jimp } from "jimp";
import type { Annotation } from "../contracts/labelRecord";

/**
 * Synthetic camera images for the offline run: brushed-metal-like parts with bright scratches drawn at random
 * length, angle, curvature and width, each with the exact box of the pixels it changed. Deterministic: the same seed
 * and index always give the same pixels and the same JPEG bytes.
 */

export const SYNTHETIC_SIZE = { width: 450, height: 300 } as const;

/** A small, fast, seedable PRNG (mulberry32): numbers in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** One seed per image, so that image i does not depend on how many images came before it. */
function imageSeed(seed: number, index: number): number {
  return (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) + Math.imul(index + 1, 0xc2b2ae35)) >>> 0;
}

export interface SyntheticPart {
  width: number;
  height: number;
  /** RGBA pixels with the scratches. */
  pixels: Uint8Array;
  /** The same part without scratches: what a test compares against to find the drawn pixels. */
  background: Uint8Array;
  /** One box per scratch: the bounding box of every pixel it changed, Ground Truth convention, class 0. */
  annotations: Annotation[];
}

export interface ScratchPath {
  /** Points along the scratch, one per pixel of length. */
  points: [number, number][];
  /** Line width in pixels. */
  width: number;
  /** Brightness of the scratch's core, 0–255. */
  brightness: number;
}

/** Brushed metal: horizontal streaks (noise smoothed along x), row-to-row variation, uneven lighting, grain. */
function brushedMetal(width: number, height: number, random: () => number): Uint8Array {
  const pixels = new Uint8Array(width * height * 4);
  const base = 50 + random() * 45;
  const tilt = { x: (random() - 0.5) * 30, y: (random() - 0.5) * 20 };
  const tint = [(random() - 0.5) * 6, 0, (random() - 0.5) * 6];
  const window = 12 + Math.floor(random() * 24);
  const noise = new Float32Array(width + window);
  let row = 0;
  for (let y = 0; y < height; y++) {
    row = 0.85 * row + (random() - 0.5) * 6;
    for (let i = 0; i < noise.length; i++) noise[i] = random() - 0.5;
    let sum = 0;
    for (let i = 0; i < window; i++) sum += noise[i];
    for (let x = 0; x < width; x++) {
      const streak = (sum / window) * 40;
      sum += noise[x + window] - noise[x];
      const light = tilt.x * (x / width - 0.5) + tilt.y * (y / height - 0.5);
      const value = base + row + streak + light + (random() - 0.5) * 8;
      const i = (y * width + x) * 4;
      for (let c = 0; c < 3; c++) pixels[i + c] = clampByte(value + tint[c]);
      pixels[i + 3] = 255;
    }
  }
  return pixels;
}

const clampByte = (value: number) => Math.max(0, Math.min(255, Math.round(value)));

/**
 * A scratch: a quadratic curve of 60–200 px, bowed up to 15 % of its length, 2–4 px wide. Its angle is random but
 * at least 15° away from the image axes, as scratches across a part run: a box around a scratch along an axis would
 * be a sliver that no detector's anchors fit.
 */
export function randomScratch(width: number, height: number, random: () => number): ScratchPath {
  const margin = 6;
  for (;;) {
    const length = 60 + random() * 140;
    const angle = ((15 + random() * 60 + (random() < 0.5 ? 0 : 90)) * Math.PI) / 180;
    const bow = (random() - 0.5) * 0.3 * length;
    const x0 = margin + random() * (width - 2 * margin);
    const y0 = margin + random() * (height - 2 * margin);
    const x1 = x0 + length * Math.cos(angle);
    const y1 = y0 + length * Math.sin(angle);
    if (x1 < margin || x1 > width - margin || y1 < margin || y1 > height - margin) continue;
    // The control point sits off the chord's middle, perpendicular to it.
    const cx = (x0 + x1) / 2 - bow * Math.sin(angle);
    const cy = (y0 + y1) / 2 + bow * Math.cos(angle);
    const steps = Math.ceil(length);
    const points: [number, number][] = [];
    for (let s = 0; s <= steps; s++) {
      const t = s / steps;
      const u = 1 - t;
      points.push([u * u * x0 + 2 * u * t * cx + t * t * x1, u * u * y0 + 2 * u * t * cy + t * t * y1]);
    }
    const inside = points.every(([x, y]) => x >= margin && x <= width - margin && y >= margin && y <= height - margin);
    if (inside) return { points, width: 2 + random() * 2, brightness: 170 + random() * 80 };
  }
}

/**
 * Draws an anti-aliased scratch into `pixels` (coverage falls off over the last pixel of its width) and returns the
 * bounding box of every pixel it changed.
 */
export function drawScratch(pixels: Uint8Array, width: number, height: number, scratch: ScratchPath): Annotation {
  const half = scratch.width / 2;
  const reach = Math.ceil(half + 1);
  const xs = scratch.points.map((p) => p[0]);
  const ys = scratch.points.map((p) => p[1]);
  const left = Math.max(0, Math.floor(Math.min(...xs)) - reach);
  const right = Math.min(width - 1, Math.ceil(Math.max(...xs)) + reach);
  const top = Math.max(0, Math.floor(Math.min(...ys)) - reach);
  const bottom = Math.min(height - 1, Math.ceil(Math.max(...ys)) + reach);
  const last = scratch.points.length - 1;
  // Distance of each pixel centre near the curve to the curve.
  const span = right - left + 1;
  const distance = new Float32Array(span * (bottom - top + 1)).fill(Infinity);
  for (let s = 0; s < last; s++) {
    const [a, b] = [scratch.points[s], scratch.points[s + 1]];
    const x0 = Math.max(left, Math.floor(Math.min(a[0], b[0])) - reach);
    const x1 = Math.min(right, Math.ceil(Math.max(a[0], b[0])) + reach);
    const y0 = Math.max(top, Math.floor(Math.min(a[1], b[1])) - reach);
    const y1 = Math.min(bottom, Math.ceil(Math.max(a[1], b[1])) + reach);
    for (let y = y0; y <= y1; y++) {
      for (let x = x0; x <= x1; x++) {
        const d = distanceToSegment(x + 0.5, y + 0.5, a, b);
        const j = (y - top) * span + (x - left);
        if (d < distance[j]) distance[j] = d;
      }
    }
  }
  let box: { x0: number; y0: number; x1: number; y1: number } | undefined;
  for (let y = top; y <= bottom; y++) {
    for (let x = left; x <= right; x++) {
      const j = (y - top) * span + (x - left);
      const alpha = Math.min(1, Math.max(0, half + 0.5 - distance[j]));
      if (alpha <= 0) continue;
      const i = (y * width + x) * 4;
      let changed = false;
      for (let c = 0; c < 3; c++) {
        const value = clampByte(pixels[i + c] + alpha * (scratch.brightness - pixels[i + c]));
        if (value !== pixels[i + c]) changed = true;
        pixels[i + c] = value;
      }
      if (!changed) continue;
      box = box
        ? { x0: Math.min(box.x0, x), y0: Math.min(box.y0, y), x1: Math.max(box.x1, x), y1: Math.max(box.y1, y) }
        : { x0: x, y0: y, x1: x, y1: y };
    }
  }
  if (!box) throw new Error("a scratch changed no pixel");
  return { class_id: 0, left: box.x0, top: box.y0, width: box.x1 - box.x0 + 1, height: box.y1 - box.y0 + 1 };
}

function distanceToSegment(px: number, py: number, a: [number, number], b: [number, number]): number {
  const dx = b[0] - a[0];
  const dy = b[1] - a[1];
  const lengthSquared = dx * dx + dy * dy;
  const t = lengthSquared === 0 ? 0 : Math.max(0, Math.min(1, ((px - a[0]) * dx + (py - a[1]) * dy) / lengthSquared));
  return Math.hypot(px - (a[0] + t * dx), py - (a[1] + t * dy));
}

/** Part `index` of the set `seed`: about one in seven parts has no scratch, the others one to three. */
export function synthesizePart(seed: number, index: number, size = SYNTHETIC_SIZE): SyntheticPart {
  const random = seededRandom(imageSeed(seed, index));
  const { width, height } = size;
  const background = brushedMetal(width, height, random);
  const pixels = background.slice();
  const count = random() < 0.15 ? 0 : 1 + Math.floor(random() * 3);
  const annotations: Annotation[] = [];
  for (let n = 0; n < count; n++)
    annotations.push(drawScratch(pixels, width, height, randomScratch(width, height, random)));
  return { width, height, pixels, background, annotations };
}

export interface SyntheticImage {
  /** File name, e.g. `part-0007.jpg`. */
  name: string;
  jpeg: Buffer;
  width: number;
  height: number;
  annotations: Annotation[];
}

export const syntheticImageName = (index: number) => `part-${String(index).padStart(4, "0")}.jpg`;

/** Encodes part `index` of the set `seed` as a JPEG (the camera's format). */
export async function syntheticImage(seed: number, index: number): Promise<SyntheticImage> {
  const part = synthesizePart(seed, index);
  const image = new Jimp({ width: part.width, height: part.height });
  image.bitmap.data = Buffer.from(part.pixels);
  const jpeg = await image.getBuffer("image/jpeg", { quality: 92 });
  return {
    name: syntheticImageName(index),
    jpeg,
    width: part.width,
    height: part.height,
    annotations: part.annotations,
  };
}
