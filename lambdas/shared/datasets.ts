import { DATA_LAKE_PREFIXES } from "../../contracts/dataLake";
import { ANNOTATIONS_FILE, Split, SUMMARY_FILE } from "../../contracts/dataset";

/** Where a dataset build writes its files: `datasets/<id>/`. */
export function datasetKeys(datasetId: string) {
  const folder = `${DATA_LAKE_PREFIXES.datasets}${datasetId}/`;
  return {
    folder,
    summary: `${folder}${SUMMARY_FILE}`,
    annotations: (split: Split) => `${folder}${split}/${ANNOTATIONS_FILE}`,
    /** The SageMaker ManifestFile of a split's training channel. */
    channelManifest: (split: Split) => `${folder}channels/${split}.manifest.json`,
  };
}
