import { z } from "zod";

/**
 * `model.json`: travels next to every ONNX model (training output, compiled model, model component, demo model) and
 * tells the edge detector how to feed the model and read its outputs.
 */
export const MODEL_MANIFEST_FILE = "model.json";

const fraction = z.number().min(0).max(1);
/** [low, high] */
const bounds = z.tuple([fraction, fraction]).refine(([low, high]) => low <= high, "low must not exceed high");

/**
 * A percentile bootstrap interval: the split's images drawn with replacement `resamples` times (seeded), the metric
 * computed on each draw; the bounds are the (1 − level)/2 and (1 + level)/2 quantiles of the draws.
 */
const intervalSchema = z.object({
  level: z.number().gt(0).lt(1),
  resamples: z.number().int().positive(),
  seed: z.number().int(),
  map50_95: bounds,
  map50: bounds,
});

const splitMetricsSchema = z.object({
  map50_95: fraction,
  map50: fraction,
  precision: fraction,
  recall: fraction,
  images: z.number().int().nonnegative(),
  /** How far each mAP could move with another draw of images like these; absent in older manifests. */
  interval: intervalSchema.optional(),
});

const perSplit = z.object({
  train: z.number().int().nonnegative(),
  validation: z.number().int().nonnegative(),
  test: z.number().int().nonnegative().optional(),
});

/**
 * The data a model was trained and measured on: how the images were split (a dataset's `summary.json`: `method`
 * `image-id-hash` or `stratified` with its `seed`, and the `fractions`; see contracts/dataset.ts) and how many images,
 * and images with boxes, each split held.
 */
const trainingSplitSchema = z.object({
  method: z.string().min(1).optional(),
  seed: z.number().int().optional(),
  fractions: z.object({ train: fraction, validation: fraction, test: fraction }).optional(),
  images: perSplit,
  imagesWithBoxes: perSplit,
});
export type SplitMetrics = z.infer<typeof splitMetricsSchema>;

export const modelManifestSchema = z.object({
  schemaVersion: z.literal(1),
  name: z.string().min(1),
  /** Model version, e.g. the training job name; result messages carry it. */
  version: z.string().min(1),
  /** ONNX file next to `model.json`. */
  file: z.string().regex(/^[^/]+\.onnx$/),
  /**
   * Output layout. `torchvision`: outputs `boxes [N,4]` (x1,y1,x2,y2 in input pixels), `scores [N]`, `labels [N]`,
   * already filtered by NMS. `yolov8`: one output `[1, 4 + classes, N]` (cx, cy, w, h, class scores).
   */
  layout: z.enum(["torchvision", "yolov8"]),
  input: z.object({
    name: z.string().min(1),
    width: z.number().int().positive(),
    height: z.number().int().positive(),
    /**
     * The image is letterboxed into width × height: scaled by min(width/w, height/h), centred, the rest filled with
     * `padValue` (0–255 per channel); then RGB, NCHW, float32 scaled to 0–1. See `letterboxGeometry`.
     */
    padValue: z.number().int().min(0).max(255),
  }),
  /** Class names; output class ids index this list (torchvision models count the background as id 0). */
  classes: z.array(z.string().min(1)).min(1),
  /** torchvision layout: whether output label ids start at 1 (0 = background), as torchvision detectors do. */
  labelOffset: z.number().int().min(0).max(1).default(0),
  scoreThreshold: z.number().min(0).max(1),
  iouThreshold: z.number().min(0).max(1).optional(),
  metrics: z.object({ validation: splitMetricsSchema, test: splitMetricsSchema.optional() }),
  training: z
    .object({
      architecture: z.string(),
      framework: z.string(),
      epochs: z.number().int().positive(),
      seconds: z.number().nonnegative(),
      seed: z.number().int(),
      /** `labelsHash` of the dataset the model was trained on. */
      dataHash: z.string(),
      split: trainingSplitSchema.optional(),
      createdAt: z.iso.datetime(),
    })
    .optional(),
});
export type ModelManifest = z.infer<typeof modelManifestSchema>;

export interface LetterboxGeometry {
  scale: number;
  /** Size of the scaled image inside the input. */
  width: number;
  height: number;
  /** Offset of the scaled image inside the input. */
  padX: number;
  padY: number;
}

/**
 * Where an image of srcWidth × srcHeight lands inside a model input of dstWidth × dstHeight. Training
 * (`training/`) implements the same arithmetic; a test keeps the two in step.
 */
export function letterboxGeometry(srcWidth: number, srcHeight: number, dstWidth: number, dstHeight: number) {
  const scale = Math.min(dstWidth / srcWidth, dstHeight / srcHeight);
  const width = Math.round(srcWidth * scale);
  const height = Math.round(srcHeight * scale);
  return {
    scale,
    width,
    height,
    padX: Math.floor((dstWidth - width) / 2),
    padY: Math.floor((dstHeight - height) / 2),
  } satisfies LetterboxGeometry;
}
