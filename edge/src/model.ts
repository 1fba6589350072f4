import { existsSync, promises as fs } from "node:fs";
import path from "node:path";
import * as ort from "onnxruntime-node";
import { MODEL_MANIFEST_FILE, ModelManifest, modelManifestSchema } from "../../contracts/modelManifest";

export type Layout = ModelManifest["layout"];

/** Everything the detector needs to feed a model and read its outputs, from model.json or the session itself. */
export interface ModelSpec {
  onnxPath: string;
  name: string;
  version: string;
  layout: Layout;
  input: { name: string; width: number; height: number; padValue: number };
  classes: string[];
  labelOffset: number;
  /** Output names: the one yolov8 output, or torchvision's boxes, scores, labels. */
  outputs: { yolov8: string } | { boxes: string; scores: string; labels: string };
  /** From model.json, when it has them. */
  scoreThreshold?: number;
  iouThreshold?: number;
}

/** Settings that matter only for a bare .onnx without model.json. */
export interface BareModelDefaults {
  layout?: Layout;
  inputWidth?: number;
  inputHeight?: number;
  classes?: string[];
  padValue: number;
}

/** The model cannot be used; the message says which file and why. */
export class ModelError extends Error {
  override name = "ModelError";
}

/** Where the ONNX file and (if any) its model.json are, from a folder or a .onnx path. */
async function locate(modelPath: string): Promise<{ onnxPath: string; manifest?: ModelManifest }> {
  const stat = await fs.stat(modelPath).catch(() => undefined);
  if (!stat)
    throw new ModelError(`model: ${modelPath} does not exist (expected a folder with model.json or a .onnx file)`);
  const dir = stat.isDirectory() ? modelPath : path.dirname(modelPath);
  const manifestPath = path.join(dir, MODEL_MANIFEST_FILE);
  let manifest: ModelManifest | undefined;
  if (existsSync(manifestPath)) {
    let raw: unknown;
    try {
      raw = JSON.parse(await fs.readFile(manifestPath, "utf8"));
    } catch (error) {
      throw new ModelError(`model: ${manifestPath} is not valid JSON: ${(error as Error).message}`);
    }
    const parsed = modelManifestSchema.safeParse(raw);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
      throw new ModelError(`model: ${manifestPath} does not match the model manifest contract: ${problems.join("; ")}`);
    }
    manifest = parsed.data;
  }
  if (stat.isDirectory()) {
    if (manifest) return { onnxPath: path.join(dir, manifest.file), manifest };
    const onnxFiles = (await fs.readdir(dir)).filter((f) => f.endsWith(".onnx"));
    if (onnxFiles.length !== 1) {
      throw new ModelError(
        `model: ${dir} has no ${MODEL_MANIFEST_FILE} and ${onnxFiles.length} .onnx files (expected exactly one)`,
      );
    }
    return { onnxPath: path.join(dir, onnxFiles[0]) };
  }
  if (!modelPath.endsWith(".onnx")) throw new ModelError(`model: ${modelPath} is not a .onnx file or a folder`);
  // A model.json next to the file describes it only if it names this file.
  return { onnxPath: modelPath, manifest: manifest?.file === path.basename(modelPath) ? manifest : undefined };
}

type TensorMetadata = Extract<ort.InferenceSession.ValueMetadata, { isTensor: true }>;

function tensorMetadata(session: ort.InferenceSession, kind: "input" | "output"): TensorMetadata[] {
  const all = kind === "input" ? session.inputMetadata : session.outputMetadata;
  return all.filter((m): m is TensorMetadata => m.isTensor);
}

const describeOutputs = (outputs: TensorMetadata[]) =>
  outputs.map((o) => `${o.name} ${o.type} [${o.shape.join(", ")}]`).join(", ");

/**
 * Which layout the outputs are: one rank-3 float output is a YOLOv8 raw export; a rank-2 `[N, 4]` float output next
 * to two rank-1 outputs (float scores, integer labels) is a torchvision detector. Names decide when they are the
 * usual ones.
 */
export function detectOutputs(outputs: TensorMetadata[]): { layout: Layout; outputs: ModelSpec["outputs"] } {
  if (outputs.length === 1 && outputs[0].shape.length === 3 && outputs[0].type === "float32") {
    return { layout: "yolov8", outputs: { yolov8: outputs[0].name } };
  }
  const byName = (name: string) => outputs.find((o) => o.name === name);
  const boxes =
    byName("boxes") ?? outputs.find((o) => o.shape.length >= 2 && o.shape.at(-1) === 4 && o.type === "float32");
  const scores = byName("scores") ?? outputs.find((o) => o !== boxes && o.type === "float32");
  const labels = byName("labels") ?? outputs.find((o) => o.type === "int64" || o.type === "int32");
  if (outputs.length === 3 && boxes && scores && labels && new Set([boxes, scores, labels]).size === 3) {
    return { layout: "torchvision", outputs: { boxes: boxes.name, scores: scores.name, labels: labels.name } };
  }
  throw new ModelError(
    `model: cannot tell the output layout from the outputs ${describeOutputs(outputs)}: expected one ` +
      `[1, 4 + classes, anchors] output (yolov8) or boxes [N, 4], scores [N], labels [N] (torchvision)`,
  );
}

function staticDim(dim: number | string | undefined): number | undefined {
  return typeof dim === "number" && dim > 0 ? dim : undefined;
}

/** Opens the model once: the session, and how to feed it and read it. */
export async function loadModel(
  modelPath: string,
  sessionOptions: ort.InferenceSession.SessionOptions,
  defaults: BareModelDefaults,
): Promise<{ session: ort.InferenceSession; spec: ModelSpec }> {
  const { onnxPath, manifest } = await locate(modelPath);
  if (!existsSync(onnxPath)) throw new ModelError(`model: ${onnxPath} does not exist`);
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(onnxPath, sessionOptions);
  } catch (error) {
    throw new ModelError(`model: ${onnxPath} is not a model onnxruntime can load: ${(error as Error).message}`);
  }
  try {
    return { session, spec: describeModel(session, onnxPath, manifest, defaults) };
  } catch (error) {
    await session.release();
    throw error;
  }
}

function describeModel(
  session: ort.InferenceSession,
  onnxPath: string,
  manifest: ModelManifest | undefined,
  defaults: BareModelDefaults,
): ModelSpec {
  const inputs = tensorMetadata(session, "input");
  if (inputs.length !== 1) {
    throw new ModelError(`model: ${onnxPath} has ${inputs.length} inputs; a detector takes exactly one image tensor`);
  }
  const [input] = inputs;
  if (input.type !== "float32" || input.shape.length !== 4) {
    throw new ModelError(
      `model: input ${input.name} is ${input.type} [${input.shape.join(", ")}]; expected float32 [1, 3, height, width]`,
    );
  }
  const detected = detectOutputs(tensorMetadata(session, "output"));
  const shapeHeight = staticDim(input.shape[2]);
  const shapeWidth = staticDim(input.shape[3]);

  if (manifest) {
    if (manifest.layout !== detected.layout) {
      throw new ModelError(`model: model.json says layout ${manifest.layout}, but the outputs are ${detected.layout}`);
    }
    if (manifest.input.name !== input.name) {
      throw new ModelError(`model: model.json names input ${manifest.input.name}, the model's is ${input.name}`);
    }
    if (
      (shapeWidth ?? manifest.input.width) !== manifest.input.width ||
      (shapeHeight ?? manifest.input.height) !== manifest.input.height
    ) {
      throw new ModelError(
        `model: model.json says input ${manifest.input.width}x${manifest.input.height}, the model's is ${shapeWidth}x${shapeHeight}`,
      );
    }
    return {
      onnxPath,
      name: manifest.name,
      version: manifest.version,
      layout: manifest.layout,
      input: manifest.input,
      classes: manifest.classes,
      labelOffset: manifest.layout === "torchvision" ? manifest.labelOffset : 0,
      outputs: detected.outputs,
      scoreThreshold: manifest.scoreThreshold,
      iouThreshold: manifest.iouThreshold,
    };
  }

  if (defaults.layout && defaults.layout !== detected.layout) {
    throw new ModelError(`model: layout is set to ${defaults.layout}, but the outputs are ${detected.layout}`);
  }
  const width = shapeWidth ?? defaults.inputWidth;
  const height = shapeHeight ?? defaults.inputHeight;
  if (!width || !height) {
    throw new ModelError(
      `model: input ${input.name} has no fixed size [${input.shape.join(", ")}] and there is no model.json: set inputSize (e.g. 640 or 640x480)`,
    );
  }
  if (
    (defaults.inputWidth && defaults.inputWidth !== width) ||
    (defaults.inputHeight && defaults.inputHeight !== height)
  ) {
    throw new ModelError(
      `model: inputSize is set to ${defaults.inputWidth}x${defaults.inputHeight}, but the model's input is ${width}x${height}`,
    );
  }
  return {
    onnxPath,
    name: path.basename(onnxPath, ".onnx"),
    version: "unversioned",
    layout: detected.layout,
    input: { name: input.name, width, height, padValue: defaults.padValue },
    classes: bareClassNames(session, detected, defaults.classes),
    // torchvision detectors count the background as label 0.
    labelOffset: detected.layout === "torchvision" ? 1 : 0,
    outputs: detected.outputs,
  };
}

/**
 * Class names of a model without model.json: the configured ones, else "scratch" for a one-class model (this
 * project's) and class0…classN-1 for a multi-class YOLOv8 export. torchvision outputs do not say how many classes
 * there are.
 */
function bareClassNames(
  session: ort.InferenceSession,
  detected: ReturnType<typeof detectOutputs>,
  configured: string[] | undefined,
): string[] {
  const channels = detected.layout === "yolov8" ? staticDim(tensorMetadata(session, "output")[0].shape[1]) : undefined;
  const count = channels === undefined ? undefined : channels - 4;
  if (configured) {
    if (count !== undefined && configured.length !== count) {
      throw new ModelError(`model: classes names ${configured.length} classes, but the model's output has ${count}`);
    }
    return configured;
  }
  if (count === undefined || count === 1) return ["scratch"];
  return Array.from({ length: count }, (_, i) => `class${i}`);
}
