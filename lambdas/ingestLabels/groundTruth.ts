import { z } from "zod";
import { isImageKey } from "../../contracts/dataLake";
import { Annotation, imageIdFromKey, LabelRecord, labelRecordSchema } from "../../contracts/labelRecord";
import { LABEL_ATTRIBUTE, VERIFICATION_ATTRIBUTE, VERIFICATION_CHOICES } from "../../lib/labeling";
import { s3Location } from "../../lib/s3Uri";

/**
 * One line of a Ground Truth bounding-box output manifest, turned into a label record. The line format is Ground
 * Truth's documented one: `"<attr>": {"image_size": [{width, height, depth}], "annotations": [{class_id, left, top,
 * width, height}]}` plus `"<attr>-metadata"` (class map, job name, creation date, or a `failure-reason`).
 */

export const REJECTION_CODES = [
  "not-json",
  "no-source-ref",
  "not-in-data-lake",
  "labeling-failed",
  "no-label",
  "invalid-label",
  "unknown-class",
  "verification-missing",
] as const;
export type RejectionCode = (typeof REJECTION_CODES)[number];

export type LineResult =
  | {
      record: LabelRecord;
      /** Indexes of the boxes that ran past the image's edge and were clipped to it. */
      clippedBoxes: number[];
    }
  | { code: RejectionCode; detail: string; sourceRef?: string };

const boxesSchema = z.object({
  image_size: z.array(z.object({ width: z.number(), height: z.number(), depth: z.number().optional() })).min(1),
  annotations: z.array(z.unknown()),
});
const metadataSchema = z.looseObject({
  "job-name": z.string().optional(),
  "creation-date": z.string().optional(),
  "failure-reason": z.string().optional(),
  "class-name": z.string().optional(),
});

/** Ground Truth writes creation dates without a zone; they are UTC. */
function epochSeconds(creationDate: string | undefined, fallback: number): number {
  if (!creationDate) return fallback;
  const millis = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(creationDate) ? creationDate : `${creationDate}Z`);
  return Number.isFinite(millis) ? millis / 1000 : fallback;
}

const BOX_FIELDS = ["class_id", "left", "top", "width", "height"] as const;

/**
 * The boxes of a label, each checked field by field (a problem names the box's index and the field) and clipped to
 * the image: a labeler may drag a box past the edge, and its part inside the image is what it marks. A box with
 * nothing inside the image is refused.
 */
export function clipBoxes(
  boxes: readonly unknown[],
  imageWidth: number,
  imageHeight: number,
): { boxes: Annotation[]; clipped: number[] } | { problem: string } {
  const kept: Annotation[] = [];
  const clipped: number[] = [];
  for (const [i, box] of boxes.entries()) {
    const where = `annotations[${i}]`;
    if (typeof box !== "object" || box === null) return { problem: `${where}: must be an object {${BOX_FIELDS}}` };
    const fields = box as Record<string, unknown>;
    for (const field of BOX_FIELDS) {
      if (typeof fields[field] !== "number" || !Number.isFinite(fields[field])) {
        return { problem: `${where}.${field}: must be a number (got ${JSON.stringify(fields[field])})` };
      }
    }
    const { class_id, left, top, width, height } = fields as Record<(typeof BOX_FIELDS)[number], number>;
    if (!Number.isInteger(class_id) || class_id < 0) {
      return { problem: `${where}.class_id: must be a whole number >= 0 (got ${class_id})` };
    }
    for (const [field, value] of [
      ["width", width],
      ["height", height],
    ] as const) {
      if (value <= 0) return { problem: `${where}.${field}: must be > 0 pixels, a box with an area (got ${value})` };
    }
    const x1 = Math.max(0, left);
    const y1 = Math.max(0, top);
    const x2 = Math.min(imageWidth, left + width);
    const y2 = Math.min(imageHeight, top + height);
    if (x2 <= x1 || y2 <= y1) {
      return {
        problem:
          `${where}: lies outside the ${imageWidth}x${imageHeight} image ` +
          `(left ${left}, top ${top}, width ${width}, height ${height})`,
      };
    }
    if (x1 !== left || y1 !== top || x2 !== left + width || y2 !== top + height) clipped.push(i);
    kept.push({ class_id, left: x1, top: y1, width: x2 - x1, height: y2 - y1 });
  }
  return { boxes: kept, clipped };
}

export interface LineContext {
  bucket: string;
  classes: readonly string[];
  labelingJobName: string;
  /** Whether the line comes from a verification job, whose verdict decides APPROVED or REJECTED. */
  verified: boolean;
  now: number;
}

export function labelFromLine(line: string, context: LineContext): LineResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return { code: "not-json", detail: "the line is not JSON" };
  }
  if (!parsed || typeof parsed !== "object") return { code: "not-json", detail: "the line is not a JSON object" };
  const fields = parsed as Record<string, unknown>;
  const sourceRef = fields["source-ref"];
  if (typeof sourceRef !== "string") return { code: "no-source-ref", detail: "the line has no source-ref" };

  const reject = (code: RejectionCode, detail: string): LineResult => ({ code, detail, sourceRef });
  const location = s3Location(sourceRef);
  if (!location || location.bucket !== context.bucket || !isImageKey(location.key)) {
    return reject("not-in-data-lake", `${sourceRef} is not an image under images/ in s3://${context.bucket}`);
  }
  const metadata = metadataSchema.safeParse(fields[`${LABEL_ATTRIBUTE}-metadata`] ?? {});
  const labelMetadata = metadata.success ? metadata.data : {};
  if (fields[LABEL_ATTRIBUTE] === undefined) {
    const failure = labelMetadata["failure-reason"];
    return failure ? reject("labeling-failed", failure) : reject("no-label", `no "${LABEL_ATTRIBUTE}" attribute`);
  }
  const boxes = boxesSchema.safeParse(fields[LABEL_ATTRIBUTE]);
  if (!boxes.success) return reject("invalid-label", `"${LABEL_ATTRIBUTE}" is not a bounding-box label`);
  const unknownClass = boxes.data.annotations.find(
    (box) =>
      typeof box === "object" && box !== null && "class_id" in box && !(Number(box.class_id) < context.classes.length),
  );
  if (unknownClass) {
    return reject(
      "unknown-class",
      `class id ${JSON.stringify((unknownClass as { class_id: unknown }).class_id)} is not one of the ${context.classes.length} classes`,
    );
  }

  let status: LabelRecord["status"] = "APPROVED";
  if (context.verified) {
    const verdict = metadataSchema.safeParse(fields[`${VERIFICATION_ATTRIBUTE}-metadata`] ?? {});
    const verdictMetadata = verdict.success ? verdict.data : {};
    const className = verdictMetadata["class-name"];
    if (fields[VERIFICATION_ATTRIBUTE] === undefined || className === undefined) {
      const failure = verdictMetadata["failure-reason"];
      return reject("verification-missing", failure ?? "the label was not verified");
    }
    status = className === VERIFICATION_CHOICES[0] ? "APPROVED" : "REJECTED";
  }

  const size = boxes.data.image_size[0];
  if (!(size.width > 0 && size.height > 0)) {
    return reject(
      "invalid-label",
      `image_size: width and height must be > 0 pixels (got ${size.width}x${size.height})`,
    );
  }
  const checked = clipBoxes(boxes.data.annotations, size.width, size.height);
  if ("problem" in checked) return reject("invalid-label", checked.problem);
  const record = labelRecordSchema.safeParse({
    image_id: imageIdFromKey(location.key),
    event_time: epochSeconds(labelMetadata["creation-date"], context.now),
    source_ref: sourceRef,
    image_width: size.width,
    image_height: size.height,
    image_depth: size.depth ?? 3,
    annotations: JSON.stringify(checked.boxes),
    labeling_job: labelMetadata["job-name"] ?? context.labelingJobName,
    status,
  });
  if (!record.success) {
    const problems = record.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
    return reject("invalid-label", problems.join("; "));
  }
  return { record: record.data, clippedBoxes: checked.clipped };
}
