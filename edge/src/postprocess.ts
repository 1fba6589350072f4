import { LetterboxGeometry } from "../../contracts/modelManifest";

export interface Detection {
  /** Index into the model's class names (background already removed). */
  classId: number;
  score: number;
  /** x1, y1, x2, y2 in pixels: of the model input from the decoders, of the original image after `toImagePixels`. */
  box: [number, number, number, number];
}

export interface DecodeOptions {
  scoreThreshold: number;
  iouThreshold: number;
  /** Keep at most this many detections, highest scores first. */
  maxDetections: number;
}

/** Candidates considered by NMS at most; beyond that, the lowest scores cannot matter for a top-k result. */
const MAX_NMS_CANDIDATES = 30_000;

/**
 * YOLOv8 raw export: one output `[1, 4 + classes, anchors]`, per anchor cx, cy, w, h (input pixels) then one score
 * per class. Each anchor votes for its best class; then score threshold, NMS per class, top-k.
 */
export function decodeYolov8(data: Float32Array, dims: readonly number[], options: DecodeOptions): Detection[] {
  if (dims.length !== 3 || dims[0] !== 1 || dims[1] < 5) {
    throw new Error(`a yolov8 output must have shape [1, 4 + classes, anchors], got [${dims.join(", ")}]`);
  }
  const classes = dims[1] - 4;
  const anchors = dims[2];
  const candidates: Detection[] = [];
  for (let a = 0; a < anchors; a++) {
    let best = 0;
    let bestScore = -Infinity;
    for (let c = 0; c < classes; c++) {
      const s = data[(4 + c) * anchors + a];
      if (s > bestScore) {
        bestScore = s;
        best = c;
      }
    }
    if (!(bestScore >= options.scoreThreshold)) continue;
    const cx = data[a];
    const cy = data[anchors + a];
    const w = data[2 * anchors + a];
    const h = data[3 * anchors + a];
    candidates.push({ classId: best, score: bestScore, box: [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2] });
  }
  return nonMaxSuppression(candidates, options);
}

/**
 * torchvision detection export: `boxes [N, 4]` (x1, y1, x2, y2 in input pixels), `scores [N]`, `labels [N]`, already
 * NMS'd by the model. Labels below `labelOffset` are the background; the rest are shifted to class indices.
 */
export function decodeTorchvision(
  boxes: Float32Array,
  scores: Float32Array,
  labels: ArrayLike<number | bigint>,
  labelOffset: number,
  options: DecodeOptions,
): Detection[] {
  const n = scores.length;
  if (boxes.length !== n * 4 || labels.length !== n) {
    throw new Error(`torchvision outputs disagree: ${boxes.length / 4} boxes, ${n} scores, ${labels.length} labels`);
  }
  const detections: Detection[] = [];
  for (let i = 0; i < n; i++) {
    const label = Number(labels[i]);
    if (!(scores[i] >= options.scoreThreshold) || label < labelOffset) continue;
    detections.push({
      classId: label - labelOffset,
      score: scores[i],
      box: [boxes[4 * i], boxes[4 * i + 1], boxes[4 * i + 2], boxes[4 * i + 3]],
    });
  }
  detections.sort((a, b) => b.score - a.score);
  return detections.slice(0, options.maxDetections);
}

export function iou(a: Detection["box"], b: Detection["box"]): number {
  const w = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const h = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  const union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
  return union > 0 ? inter / union : 0;
}

/** Greedy NMS within each class, highest score first, stopping at `maxDetections`. */
export function nonMaxSuppression(candidates: Detection[], options: DecodeOptions): Detection[] {
  const sorted = [...candidates].sort((a, b) => b.score - a.score).slice(0, MAX_NMS_CANDIDATES);
  const kept: Detection[] = [];
  for (const candidate of sorted) {
    if (kept.length >= options.maxDetections) break;
    const suppressed = kept.some(
      (k) => k.classId === candidate.classId && iou(k.box, candidate.box) > options.iouThreshold,
    );
    if (!suppressed) kept.push(candidate);
  }
  return kept;
}

/**
 * Maps boxes from model-input pixels back to the original image: undo the letterbox offset and scale (per axis, as
 * the scaled size was rounded), then clip to the image. A box that lay entirely in the letterbox border has no area
 * left and is dropped.
 */
export function toImagePixels(
  detections: Detection[],
  geometry: LetterboxGeometry,
  imageWidth: number,
  imageHeight: number,
): Detection[] {
  const sx = geometry.width / imageWidth;
  const sy = geometry.height / imageHeight;
  const clip = (v: number, max: number) => Math.min(Math.max(v, 0), max);
  return detections
    .map((d): Detection => ({
      ...d,
      box: [
        clip((d.box[0] - geometry.padX) / sx, imageWidth),
        clip((d.box[1] - geometry.padY) / sy, imageHeight),
        clip((d.box[2] - geometry.padX) / sx, imageWidth),
        clip((d.box[3] - geometry.padY) / sy, imageHeight),
      ],
    }))
    .filter((d) => d.box[2] > d.box[0] && d.box[3] > d.box[1]);
}
