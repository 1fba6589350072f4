import type { Annotation, LabelRecord } from "../../contracts/labelRecord";

/**
 * Approved labels for people who train elsewhere: COCO (one JSON document) or YOLO (one text file per image, boxes as
 * class and centre/size relative to the image, plus the class names). Images are named by their data lake key.
 */

export type ExportFormat = "coco" | "yolo";

export interface ExportedFile {
  /** Relative path in the output folder. */
  path: string;
  content: string;
}

const keyOf = (sourceRef: string) => sourceRef.replace(/^s3:\/\/[^/]+\//, "");
const boxesOf = (record: LabelRecord) => JSON.parse(record.annotations) as Annotation[];

export function cocoExport(records: LabelRecord[], classes: string[]): ExportedFile[] {
  let annotationId = 0;
  const document = {
    info: { description: "Approved labels of the quality-inspection label store", version: "1" },
    categories: classes.map((name, id) => ({ id, name })),
    images: records.map((record, id) => ({
      id,
      file_name: keyOf(record.source_ref),
      width: record.image_width,
      height: record.image_height,
    })),
    annotations: records.flatMap((record, imageId) =>
      boxesOf(record).map((box) => ({
        id: annotationId++,
        image_id: imageId,
        category_id: box.class_id,
        bbox: [box.left, box.top, box.width, box.height],
        area: box.width * box.height,
        iscrowd: 0,
      })),
    ),
  };
  return [{ path: "annotations.json", content: `${JSON.stringify(document, null, 2)}\n` }];
}

const six = (value: number) => Number(value.toFixed(6));

export function yoloExport(records: LabelRecord[], classes: string[]): ExportedFile[] {
  const labels = records.map((record) => {
    const { image_width: w, image_height: h } = record;
    const lines = boxesOf(record).map((box) =>
      [
        box.class_id,
        six((box.left + box.width / 2) / w),
        six((box.top + box.height / 2) / h),
        six(box.width / w),
        six(box.height / h),
      ].join(" "),
    );
    const stem = keyOf(record.source_ref).replace(/\.[^./]+$/, "");
    return { path: `labels/${stem}.txt`, content: lines.length > 0 ? `${lines.join("\n")}\n` : "" };
  });
  return [{ path: "classes.txt", content: `${classes.join("\n")}\n` }, ...labels];
}
