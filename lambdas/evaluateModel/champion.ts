import type { InferenceSession } from "onnxruntime-node";
import { DatasetRecord, datasetRecordSchema } from "../../contracts/dataset";
import { letterboxGeometry, ModelManifest } from "../../contracts/modelManifest";
import { meanAveragePrecision, ImageDetections } from "../../lib/detectionMetrics";
import { ModelArtifactError, ObjectNotFoundError } from "../../lib/errors";
import { Bitmap, Letterboxer } from "../../lib/letterbox";
import { CHAMPION_KEY, championSchema, parseModelManifest } from "../../lib/models";
import type { ObjectStore } from "../../lib/ports";
import { lines, readAll } from "../../lib/streams";
import { datasetKeys } from "../shared/datasets";
import { parseJson } from "../shared/json";

export interface ComparisonDeps {
  objects: ObjectStore;
  /** onnxruntime-node, passed in as CompileOnnx's is. */
  ort: typeof import("onnxruntime-node");
  decodeImage: (bytes: Buffer) => Promise<Bitmap>;
}

/** The challenger and the deployed model (the champion) on the same held-out test split. */
export interface ChampionComparison {
  testImages: number;
  challengerTestMap50_95: number;
  /** null: no model has been deployed by the pipeline yet. */
  champion: { modelVersion: string; packageArn: string; testMap50_95: number } | null;
}

/** The dataset's test split, or undefined when it has none (a dataset without a test file). */
async function testSplit(objects: ObjectStore, datasetId: string): Promise<DatasetRecord[] | undefined> {
  let stream;
  try {
    stream = await objects.read(datasetKeys(datasetId).annotations("test"));
  } catch (error) {
    if (error instanceof ObjectNotFoundError) return undefined;
    throw error;
  }
  const records: DatasetRecord[] = [];
  for await (const line of lines(stream)) {
    if (line.trim() === "") continue;
    const record = datasetRecordSchema.safeParse(parseJson(line));
    if (!record.success)
      throw new ModelArtifactError(`a line of dataset ${datasetId}'s test split breaks the contract`);
    records.push(record.data);
  }
  return records;
}

/** The detections of a torchvision-layout model (boxes, scores, labels: input pixels, after NMS). */
function detectionsOf(outputs: InferenceSession.OnnxValueMapType, manifest: ModelManifest) {
  const [boxes, scores, labels] = ["boxes", "scores", "labels"].map((name) => outputs[name]?.data);
  if (!boxes || !scores || !labels)
    throw new ModelArtifactError(`model ${manifest.version} has no boxes, scores and labels outputs to evaluate`);
  return Array.from(scores as Float32Array, (score, i) => ({
    box: [0, 1, 2, 3].map((k) => Number(boxes[4 * i + k])) as [number, number, number, number],
    score,
    classId: Number(labels[i]) - manifest.labelOffset,
  }));
}

/** mAP50-95 of a model on test records, its detections and the true boxes both in the model's input pixels. */
async function testMap(model: Buffer, manifest: ModelManifest, records: DatasetRecord[], deps: ComparisonDeps) {
  if (manifest.layout !== "torchvision")
    throw new ModelArtifactError(`model ${manifest.version}: only torchvision-layout models are compared on test`);
  const { name, width, height } = manifest.input;
  const session = await deps.ort.InferenceSession.create(model);
  const letterboxer = new Letterboxer(manifest.input);
  const images: ImageDetections[] = [];
  try {
    for (const record of records) {
      const image = await deps.decodeImage(await readAll(await deps.objects.read(record.image)));
      const input = letterboxer.apply(image).tensor;
      const outputs = await session.run({ [name]: new deps.ort.Tensor("float32", input, [1, 3, height, width]) });
      const g = letterboxGeometry(image.width, image.height, width, height);
      const truths = record.annotations.map((a) => ({
        box: [a.left, a.top, a.left + a.width, a.top + a.height].map((v, k) =>
          k % 2 === 0 ? v * g.scale + g.padX : v * g.scale + g.padY,
        ) as [number, number, number, number],
        classId: a.class_id,
      }));
      images.push({ detections: detectionsOf(outputs, manifest), truths });
    }
  } finally {
    await session.release();
  }
  return meanAveragePrecision(images).map50_95;
}

/**
 * Runs the new model and the deployed one (`models/champion.json`) on the new dataset's test split, with the same
 * code, so the two numbers compare. Undefined when the dataset has no test images.
 */
export async function compareWithChampion(
  deps: ComparisonDeps,
  datasetId: string,
  challenger: { model: Buffer; manifest: ModelManifest },
): Promise<ChampionComparison | undefined> {
  const records = await testSplit(deps.objects, datasetId);
  if (!records || records.length === 0) return undefined;
  const challengerTestMap50_95 = await testMap(challenger.model, challenger.manifest, records, deps);
  if (!(await deps.objects.head(CHAMPION_KEY)))
    return { testImages: records.length, challengerTestMap50_95, champion: null };
  const champion = championSchema.parse(parseJson((await readAll(await deps.objects.read(CHAMPION_KEY))).toString()));
  const manifest = parseModelManifest(
    await readAll(await deps.objects.read(champion.manifestKey)),
    champion.manifestKey,
  );
  const model = await readAll(await deps.objects.read(champion.modelKey));
  return {
    testImages: records.length,
    challengerTestMap50_95,
    champion: {
      modelVersion: champion.modelVersion,
      packageArn: champion.packageArn,
      testMap50_95: await testMap(model, manifest, records, deps),
    },
  };
}
