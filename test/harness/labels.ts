import { imageIdFromKey, LabelRecord } from "../../contracts/labelRecord";

/** A valid label record for an image key. */
export function labelFor(key: string, overrides: Partial<LabelRecord> = {}): LabelRecord {
  return {
    image_id: imageIdFromKey(key),
    event_time: 1_764_000_000,
    source_ref: `s3://qi-test-lake/${key}`,
    image_width: 450,
    image_height: 300,
    image_depth: 3,
    annotations: JSON.stringify([{ class_id: 0, left: 10, top: 20, width: 30, height: 40 }]),
    labeling_job: "qi-dev-label-run-1-00000000",
    status: "APPROVED",
    ...overrides,
  };
}
