/**
 * Detection metrics, COCO style, as training/detection_metrics.py defines them (the same rules, so a number here means
 * what it means in model.json): per class and IoU threshold, detections of all images in score order each match the
 * unmatched true box of their class with the highest IoU at or above the threshold; precision is made monotone and
 * read at the 101 recall points; mAP50-95 is the mean over classes with true boxes and IoU 0.50, 0.55, …, 0.95.
 */

/** x1, y1, x2, y2. */
export type Box = readonly [number, number, number, number];

export interface ScoredBox {
  box: Box;
  score: number;
  classId: number;
}

export interface TrueBox {
  box: Box;
  classId: number;
}

export interface ImageDetections {
  detections: readonly ScoredBox[];
  truths: readonly TrueBox[];
}

const IOU_THRESHOLDS = Array.from({ length: 10 }, (_, i) => Math.round((0.5 + 0.05 * i) * 100) / 100);
const RECALL_POINTS = Array.from({ length: 101 }, (_, i) => i / 100);
/** Per image and class, only the best-scoring detections count (pycocotools' maxDets). */
const MAX_DETECTIONS = 100;

export function iou(a: Box, b: Box): number {
  const width = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const height = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  if (width <= 0 || height <= 0) return 0;
  const intersection = width * height;
  return intersection / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - intersection);
}

/** Whether each detection (in score order) is a true positive in its image. */
function matchImage(detections: readonly ScoredBox[], truths: readonly Box[], threshold: number): boolean[] {
  const matched = truths.map(() => false);
  return detections.map(({ box }) => {
    let best = -1;
    let bestIou = threshold;
    truths.forEach((truth, j) => {
      if (matched[j]) return;
      const overlap = iou(box, truth);
      if (overlap >= bestIou) [best, bestIou] = [j, overlap];
    });
    if (best >= 0) matched[best] = true;
    return best >= 0;
  });
}

/** AP from (score, hit) pairs of all images and the number of true boxes; undefined without true boxes. */
export function averagePrecision(scoredHits: readonly [number, boolean][], positives: number): number | undefined {
  if (positives === 0) return undefined;
  const ordered = [...scoredHits].sort((a, b) => b[0] - a[0]);
  const precisions: number[] = [];
  const recalls: number[] = [];
  let truePositives = 0;
  ordered.forEach(([, hit], index) => {
    truePositives += hit ? 1 : 0;
    precisions.push(truePositives / (index + 1));
    recalls.push(truePositives / positives);
  });
  for (let i = precisions.length - 2; i >= 0; i--) precisions[i] = Math.max(precisions[i], precisions[i + 1]);
  let total = 0;
  let i = 0;
  for (const point of RECALL_POINTS) {
    while (i < recalls.length && recalls[i] < point) i++;
    total += i < recalls.length ? precisions[i] : 0;
  }
  return total / RECALL_POINTS.length;
}

/** mAP50-95 and mAP50 over images; 0 when no image has a true box. */
export function meanAveragePrecision(images: readonly ImageDetections[]): { map50_95: number; map50: number } {
  const classes = [...new Set(images.flatMap((image) => image.truths.map((t) => t.classId)))].sort((a, b) => a - b);
  const byThreshold = new Map<number, number[]>(IOU_THRESHOLDS.map((t) => [t, []]));
  for (const classId of classes) {
    const perImage = images.map((image) => ({
      ranked: image.detections
        .filter((d) => d.classId === classId)
        .sort((a, b) => b.score - a.score)
        .slice(0, MAX_DETECTIONS),
      truths: image.truths.filter((t) => t.classId === classId).map((t) => t.box),
    }));
    const positives = perImage.reduce((sum, image) => sum + image.truths.length, 0);
    for (const threshold of IOU_THRESHOLDS) {
      const scoredHits = perImage.flatMap(({ ranked, truths }) => {
        const hits = matchImage(ranked, truths, threshold);
        return ranked.map((d, k): [number, boolean] => [d.score, hits[k]]);
      });
      byThreshold.get(threshold)!.push(averagePrecision(scoredHits, positives)!);
    }
  }
  const all = [...byThreshold.values()].flat();
  const at50 = byThreshold.get(0.5)!;
  return {
    map50_95: all.length ? all.reduce((a, b) => a + b, 0) / all.length : 0,
    map50: at50.length ? at50.reduce((a, b) => a + b, 0) / at50.length : 0,
  };
}
