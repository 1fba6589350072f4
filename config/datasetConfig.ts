import { z } from "zod";
import { SplitFractions, splitFractionsText } from "../contracts/dataset";
import { field } from "../lib/fields";
import { wholeNumber } from "../lib/fieldValues";

/**
 * The `dataset.*` keys of the stack config (what BuildDataset makes of the labels), kept beside config/schema.ts,
 * which spreads them into its one list of fields and hands `StackConfig["dataset"]` to the pipeline.
 */
export const datasetFields = {
  "qualityinspection:dataset.minImages": field("be a whole number from 1 to 1000000", wholeNumber(1, 1_000_000)),
  "qualityinspection:dataset.minBoxes": field("be a whole number from 1 to 1000000", wholeNumber(1, 1_000_000)),
  "qualityinspection:dataset.fractions": field(
    "be three fractions train,validation,test that add up to 1, such as 0.8,0.1,0.1",
    splitFractionsText("dataset.fractions"),
  ),
  "qualityinspection:dataset.athenaAboveImages": field(
    "be a whole number of images from 1 to 1000000000 (above it Athena splits the dataset), or off",
    z.union([z.literal("off").transform(() => null), wholeNumber(1, 1_000_000_000)]),
  ),
};

type DatasetKey = keyof typeof datasetFields;
type DatasetFlat = { [K in DatasetKey]: z.output<(typeof datasetFields)[K]["schema"]> };

export interface DatasetConfig {
  minImages: number;
  minBoxes: number;
  /** How BuildDataset splits the labeled images (by a hash of each image id). */
  fractions: SplitFractions;
  /**
   * Above this many images in the lake BuildDataset hands the split to Athena over the label store's offline store
   * (DuckDB offline) instead of reading every label itself; null keeps every dataset in the Lambda.
   */
  athenaAboveImages: number | null;
}

export function datasetConfig(flat: DatasetFlat): DatasetConfig {
  return {
    minImages: flat["qualityinspection:dataset.minImages"],
    minBoxes: flat["qualityinspection:dataset.minBoxes"],
    fractions: flat["qualityinspection:dataset.fractions"],
    athenaAboveImages: flat["qualityinspection:dataset.athenaAboveImages"],
  };
}
