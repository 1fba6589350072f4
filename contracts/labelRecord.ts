import { createHash } from "node:crypto";
import { z } from "zod";

/**
 * One labeled image, as the label store (SageMaker Feature Store feature group) holds it. The feature group's
 * definition, the Lambdas that write and read it, and the offline label store all derive from `LABEL_FEATURES`.
 */

/** A bounding box in pixels of the original image, Ground Truth's convention (top-left corner, width, height). */
export const annotationSchema = z.object({
  class_id: z.number().int().min(0),
  left: z.number().min(0),
  top: z.number().min(0),
  width: z.number().positive(),
  height: z.number().positive(),
});
export type Annotation = z.infer<typeof annotationSchema>;

const annotationsJson = z.string().refine((text) => {
  try {
    return z.array(annotationSchema).safeParse(JSON.parse(text)).success;
  } catch {
    return false;
  }
}, "must be a JSON array of {class_id, left, top, width, height} in pixels");

type FeatureType = "String" | "Integral" | "Fractional";
const feature = <T extends z.ZodType>(type: FeatureType, schema: T) => ({ type, schema });

export const LABEL_FEATURES = {
  /** Record identifier: derived from the image's object key by `imageIdFromKey`. */
  image_id: feature("String", z.string().regex(/^[0-9a-f]{32}$/)),
  /** Epoch seconds when the label was produced; Feature Store keeps the latest record per image. */
  event_time: feature("Fractional", z.number().nonnegative()),
  /** `s3://<bucket>/images/...` */
  source_ref: feature("String", z.string().regex(/^s3:\/\/[^/]+\/.+/)),
  image_width: feature("Integral", z.number().int().positive()),
  image_height: feature("Integral", z.number().int().positive()),
  image_depth: feature("Integral", z.number().int().min(1).max(4)),
  /** JSON array of `Annotation`; `[]` means the image was checked and has no defect. */
  annotations: feature("String", annotationsJson),
  /** Name of the labeling job that produced the label. */
  labeling_job: feature("String", z.string().min(1)),
  status: feature("String", z.enum(["APPROVED", "REJECTED"])),
};

export const RECORD_IDENTIFIER_FEATURE = "image_id";
export const EVENT_TIME_FEATURE = "event_time";

export const labelRecordSchema = z.object(
  Object.fromEntries(Object.entries(LABEL_FEATURES).map(([name, f]) => [name, f.schema])) as {
    [K in keyof typeof LABEL_FEATURES]: (typeof LABEL_FEATURES)[K]["schema"];
  },
);
export type LabelRecord = z.infer<typeof labelRecordSchema>;

/** Feature definitions for the feature group, in a stable order. */
export const labelFeatureDefinitions = Object.entries(LABEL_FEATURES).map(([featureName, f]) => ({
  featureName,
  featureType: f.type,
}));

/**
 * The image id is a hash of the object key (without bucket), so it is stable, fixed-length and independent of the
 * bucket name: the same image keeps its label across a bucket rename or the offline run.
 */
export function imageIdFromKey(key: string): string {
  return createHash("sha256").update(key).digest("hex").slice(0, 32);
}

/** Feature Store's wire form: every value as a string. */
export interface FeatureValue {
  FeatureName: string;
  ValueAsString: string;
}

export function toFeatureValues(record: LabelRecord): FeatureValue[] {
  return Object.keys(LABEL_FEATURES).map((name) => ({
    FeatureName: name,
    ValueAsString: String(record[name as keyof LabelRecord]),
  }));
}

export function fromFeatureValues(values: FeatureValue[]): LabelRecord {
  const byName = new Map(values.map((v) => [v.FeatureName, v.ValueAsString]));
  const raw = Object.fromEntries(
    Object.entries(LABEL_FEATURES).map(([name, f]) => {
      const text = byName.get(name);
      return [name, f.type === "String" || text === undefined ? text : Number(text)];
    }),
  );
  return labelRecordSchema.parse(raw);
}
