import { readFileSync } from "node:fs";
import * as path from "node:path";
import { Conversion, ConversionOptions, convertExport } from "../../training/convertLabels";
import { filesBelow } from "../../training/datasetFromLabels";
import { SCRATCHES_DIR } from "./scratches";

export const SCRATCHES_IMAGES = path.join(SCRATCHES_DIR, "images");

/**
 * The dataset `npm run dataset:from-labels` builds from the real label export: with the default split, or with the
 * fractions and split method given (a model's `training.split`).
 */
export function scratchesConversion(split: Partial<Pick<ConversionOptions, "fractions" | "split">> = {}): Conversion {
  return convertExport(
    readFileSync(path.join(SCRATCHES_DIR, "labels", "labels.csv"), "utf8"),
    filesBelow(SCRATCHES_IMAGES),
    {
      datasetId: "scratches",
      classes: ["scratch"],
      fractions: split.fractions ?? { train: 0.8, validation: 0.1, test: 0.1 },
      split: split.split,
      createdAt: new Date(),
    },
  );
}
