import * as ort from "onnxruntime-node";
import { LetterboxGeometry } from "../../contracts/modelManifest";
import { DEFAULT_MAX_IMAGE_PIXELS, decodeImage } from "./image";
import { Log, silentLog } from "./log";
import { BareModelDefaults, loadModel, ModelSpec } from "./model";
import { decodeTorchvision, decodeYolov8, DecodeOptions, Detection, toImagePixels } from "./postprocess";
import { Bitmap, Letterboxer } from "../../lib/letterbox";

export interface DetectorOptions {
  /** onnxruntime intra-op threads; 0 lets onnxruntime choose (one per physical core). */
  threads: number;
  /** Override model.json's thresholds; without either, 0.5 and 0.45. */
  scoreThreshold?: number;
  iouThreshold?: number;
  maxDetections: number;
  /** Images of more pixels are refused before decoding (IMAGE_TOO_LARGE); default DEFAULT_MAX_IMAGE_PIXELS. */
  maxImagePixels?: number;
  /** How to read a .onnx that has no model.json. */
  bare: BareModelDefaults;
  log?: Log;
}

export interface StageTimings {
  decode: number;
  preprocess: number;
  run: number;
  postprocess: number;
}

export interface Inspection {
  width: number;
  height: number;
  /** Boxes in pixels of the original image, highest score first. */
  detections: Detection[];
  timings: StageTimings;
}

const DEFAULT_SCORE_THRESHOLD = 0.5;
const DEFAULT_IOU_THRESHOLD = 0.45;

/**
 * One ONNX detector, loaded once per process: decode → letterbox + normalise → session.run → decode boxes → map
 * back to the image. The stages are public so the benchmark can time them separately.
 */
export class Detector {
  readonly decodeOptions: DecodeOptions;
  private readonly letterboxer: Letterboxer;
  private readonly inputDims: number[];
  private tensor?: Float32Array;
  private warnedUnknownClass = false;
  private readonly maxImagePixels: number;

  private constructor(
    private readonly session: ort.InferenceSession,
    readonly spec: ModelSpec,
    options: DetectorOptions,
    private readonly log: Log,
  ) {
    this.decodeOptions = {
      scoreThreshold: options.scoreThreshold ?? spec.scoreThreshold ?? DEFAULT_SCORE_THRESHOLD,
      iouThreshold: options.iouThreshold ?? spec.iouThreshold ?? DEFAULT_IOU_THRESHOLD,
      maxDetections: options.maxDetections,
    };
    this.letterboxer = new Letterboxer(spec.input);
    this.inputDims = [1, 3, spec.input.height, spec.input.width];
    this.maxImagePixels = options.maxImagePixels ?? DEFAULT_MAX_IMAGE_PIXELS;
  }

  static async load(modelPath: string, options: DetectorOptions): Promise<Detector> {
    const { session, spec } = await loadModel(
      modelPath,
      {
        intraOpNumThreads: options.threads,
        interOpNumThreads: 1,
        executionMode: "sequential",
        graphOptimizationLevel: "all",
        // Idle onnxruntime threads would spin between frames, taking the CPU from decoding and preprocessing
        // (and from other components on the device).
        extra: { session: { intra_op: { allow_spinning: "0" } } },
      },
      options.bare,
    );
    return new Detector(session, spec, options, options.log ?? silentLog);
  }

  async inspect(bytes: Buffer): Promise<Inspection> {
    let t = performance.now();
    const lap = () => {
      const now = performance.now();
      const elapsed = now - t;
      t = now;
      return elapsed;
    };
    const image = await this.decode(bytes);
    const decode = lap();
    const { tensor, geometry } = this.preprocess(image);
    const preprocess = lap();
    const outputs = await this.run(tensor);
    const run = lap();
    const detections = this.postprocess(outputs, geometry, image.width, image.height);
    const postprocess = lap();
    return { width: image.width, height: image.height, detections, timings: { decode, preprocess, run, postprocess } };
  }

  decode(bytes: Buffer): Promise<Bitmap> {
    return decodeImage(bytes, this.maxImagePixels);
  }

  preprocess(image: Bitmap): { tensor: Float32Array; geometry: LetterboxGeometry } {
    const result = this.letterboxer.apply(image, this.tensor);
    this.tensor = result.tensor;
    return result;
  }

  run(tensor: Float32Array): Promise<ort.InferenceSession.OnnxValueMapType> {
    return this.session.run({ [this.spec.input.name]: new ort.Tensor("float32", tensor, this.inputDims) });
  }

  postprocess(
    outputs: ort.InferenceSession.OnnxValueMapType,
    geometry: LetterboxGeometry,
    imageWidth: number,
    imageHeight: number,
  ): Detection[] {
    const names = this.spec.outputs;
    const inInput =
      "yolov8" in names
        ? decodeYolov8(outputs[names.yolov8].data as Float32Array, outputs[names.yolov8].dims, this.decodeOptions)
        : decodeTorchvision(
            outputs[names.boxes].data as Float32Array,
            outputs[names.scores].data as Float32Array,
            outputs[names.labels].data as ArrayLike<number | bigint>,
            this.spec.labelOffset,
            this.decodeOptions,
          );
    const known = inInput.filter((d) => d.classId < this.spec.classes.length);
    if (known.length < inInput.length && !this.warnedUnknownClass) {
      this.warnedUnknownClass = true;
      this.log.warn(
        `the model reports class ids beyond its ${this.spec.classes.length} class names (${this.spec.classes.join(", ")}); those detections are dropped — set classes`,
      );
    }
    return toImagePixels(known, geometry, imageWidth, imageHeight);
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}
