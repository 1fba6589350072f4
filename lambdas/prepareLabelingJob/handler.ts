import { z } from "zod";
import { parseEvent } from "../shared/events";
import { readSelection } from "../shared/selection";
import { LABEL_ATTRIBUTE, labelingJobKeys, VERIFICATION_CHOICES } from "../../lib/labeling";
import type { Log, ObjectStore } from "../../lib/ports";
import { s3Uri } from "../../lib/s3Uri";
import { boundingBoxTemplate, verificationTemplate } from "./templates";

export const prepareLabelingJobEventSchema = z.object({
  labelingJobName: z.string().min(1),
  selectionKey: z.string().min(1),
  classes: z.array(z.string().min(1)).min(1),
  verification: z.boolean(),
});
export type PrepareLabelingJobEvent = z.input<typeof prepareLabelingJobEventSchema>;

export interface PrepareLabelingJobResult {
  images: number;
  manifestUri: string;
  categoriesUri: string;
  uiTemplateUri: string;
  outputUri: string;
  /** The verification job's files, when verification is on. */
  verification: { categoriesUri: string; uiTemplateUri: string; outputUri: string } | null;
}

const CATEGORIES_VERSION = "2018-11-28";

/** Writes what a Ground Truth bounding-box job (and its verification job) reads: manifest, categories, worker UI. */
export async function prepareLabelingJob(
  event: unknown,
  { objects, log }: { objects: ObjectStore; log: Log },
): Promise<PrepareLabelingJobResult> {
  const { labelingJobName, selectionKey, classes, verification } = parseEvent(prepareLabelingJobEventSchema, event);
  const selection = await readSelection(objects, selectionKey);
  const keys = labelingJobKeys(labelingJobName);
  const uri = (key: string) => s3Uri(objects.bucket, key);

  const manifest = selection.map((key) => JSON.stringify({ "source-ref": uri(key) })).join("\n") + "\n";
  await objects.write(keys.inputManifest, manifest, "application/jsonlines");
  // Category order is class-id order: Ground Truth's class_id indexes this list, and so does the dataset's.
  const categories = { "document-version": CATEGORIES_VERSION, labels: classes.map((label) => ({ label })) };
  await objects.write(keys.categories, JSON.stringify(categories), "application/json");
  await objects.write(keys.uiTemplate, boundingBoxTemplate(classes), "text/html");

  let verificationFiles: PrepareLabelingJobResult["verification"] = null;
  if (verification) {
    const verificationCategories = {
      "document-version": CATEGORIES_VERSION,
      auditLabelAttributeName: LABEL_ATTRIBUTE,
      labels: VERIFICATION_CHOICES.map((label) => ({ label })),
    };
    await objects.write(keys.verificationCategories, JSON.stringify(verificationCategories), "application/json");
    await objects.write(keys.verificationUiTemplate, verificationTemplate(), "text/html");
    verificationFiles = {
      categoriesUri: uri(keys.verificationCategories),
      uiTemplateUri: uri(keys.verificationUiTemplate),
      outputUri: uri(keys.verificationOutput),
    };
  }
  log.info("labeling job prepared", { labelingJobName, images: selection.length, verification });
  return {
    images: selection.length,
    manifestUri: uri(keys.inputManifest),
    categoriesUri: uri(keys.categories),
    uiTemplateUri: uri(keys.uiTemplate),
    outputUri: uri(keys.output),
    verification: verificationFiles,
  };
}
