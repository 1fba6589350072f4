import { z } from "zod";

/**
 * `golden.json`: what the model component's model computes on a few golden images, recorded by the pipeline's compile
 * stage and checked again on each device by the detector's `--check` (the component's Install step) before the new
 * model runs. The images travel beside it in the component; outputs are the model's raw output tensors (for a
 * torchvision layout: boxes in input pixels, scores, labels), compared within `tolerance`.
 */
export const GOLDEN_OUTPUTS_FILE = "golden.json";

/** A golden image's file name in the component: `golden-<n>.<ext>`. */
export const goldenImageFile = (index: number, key: string) =>
  `golden-${index}${key.slice(key.lastIndexOf(".")).toLowerCase()}`;

const tensorSchema = z.object({ dims: z.array(z.number().int().min(0)), data: z.array(z.number()) });

export const goldenOutputsSchema = z.object({
  schemaVersion: z.literal(1),
  /** The model version the outputs belong to (model.json's `version`). */
  modelVersion: z.string().min(1),
  /** A value passes within `absolute + relative × |expected|`. */
  tolerance: z.object({ absolute: z.number().min(0), relative: z.number().min(0) }),
  images: z
    .array(
      z.object({
        /** File name beside golden.json. */
        file: z.string().regex(/^[A-Za-z0-9._-]+$/, "must be a plain file name"),
        /** Where the image came from in the data lake, for people. */
        source: z.string(),
        outputs: z.record(z.string(), tensorSchema),
      }),
    )
    .min(1),
});
export type GoldenOutputs = z.infer<typeof goldenOutputsSchema>;
