import { onnx } from "onnx-proto";
import { seededRandom } from "../../offline/synthetic";

/**
 * Small ONNX models built in code, for tests and the benchmark: their outputs are exactly what the test says, in
 * either detector layout, so decoding can be checked end to end through a real onnxruntime session.
 */

type Dim = number | string;
const { FLOAT, INT64 } = onnx.TensorProto.DataType;

function valueInfo(name: string, elemType: number, dims: Dim[]): onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function floatTensor(name: string, dims: number[], values: ArrayLike<number>): onnx.ITensorProto {
  return { name, dims, dataType: FLOAT, rawData: new Uint8Array(Float32Array.from(values).buffer) };
}

function int64Tensor(name: string, dims: number[], values: number[]): onnx.ITensorProto {
  return { name, dims, dataType: INT64, rawData: new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer) };
}

function constant(output: string, value: onnx.ITensorProto): onnx.INodeProto {
  return {
    opType: "Constant",
    input: [],
    output: [output],
    attribute: [{ name: "value", type: onnx.AttributeProto.AttributeType.TENSOR, t: value }],
  };
}

function encode(graph: onnx.IGraphProto): Buffer {
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: "", version: 17 }],
    producerName: "qualityinspection-tests",
    graph,
  });
  return Buffer.from(onnx.ModelProto.encode(model).finish());
}

export interface FixtureInput {
  width: number;
  height: number;
  /** Declare the input's height and width as symbolic dimensions, as dynamic exports do. */
  dynamic?: boolean;
  name?: string;
}

function inputInfo(input: FixtureInput): onnx.IValueInfoProto {
  const dims: Dim[] = input.dynamic ? ["batch", 3, "height", "width"] : [1, 3, input.height, input.width];
  return valueInfo(input.name ?? "images", FLOAT, dims);
}

export interface TorchvisionOutputs {
  /** x1, y1, x2, y2 in input pixels. */
  boxes: [number, number, number, number][];
  scores: number[];
  /** torchvision label ids (0 = background when the model counts it). */
  labels: number[];
}

/** A torchvision-style detector whose `boxes`, `scores` and `labels` are the given constants. */
export function torchvisionModel(input: FixtureInput, outputs: TorchvisionOutputs): Buffer {
  const n = outputs.scores.length;
  return encode({
    name: "torchvision-fixture",
    input: [inputInfo(input)],
    output: [valueInfo("boxes", FLOAT, [n, 4]), valueInfo("scores", FLOAT, [n]), valueInfo("labels", INT64, [n])],
    node: [
      constant("boxes", floatTensor("boxes_value", [n, 4], outputs.boxes.flat())),
      constant("scores", floatTensor("scores_value", [n], outputs.scores)),
      constant("labels", int64Tensor("labels_value", [n], outputs.labels)),
    ],
  });
}

export interface Anchor {
  /** Centre and size in input pixels. */
  cx: number;
  cy: number;
  w: number;
  h: number;
  /** One score per class. */
  scores: number[];
}

/** A YOLOv8 raw export whose single output `[1, 4 + classes, anchors]` holds the given anchors. */
export function yolov8Model(input: FixtureInput, anchors: Anchor[]): Buffer {
  const classes = anchors[0].scores.length;
  const n = anchors.length;
  const values = new Float32Array((4 + classes) * n);
  anchors.forEach((a, i) => {
    [a.cx, a.cy, a.w, a.h, ...a.scores].forEach((v, row) => (values[row * n + i] = v));
  });
  return encode({
    name: "yolov8-fixture",
    input: [inputInfo(input)],
    output: [valueInfo("output0", FLOAT, [1, 4 + classes, n])],
    node: [constant("output0", floatTensor("output0_value", [1, 4 + classes, n], values))],
  });
}

/**
 * A detector-sized network in the YOLOv8 raw layout, for the benchmark: a 640×640 input, a strided 3×3 convolution
 * backbone (stages of 16–256 channels, about 4.8 GFLOPs — roughly half of YOLOv8n's 8.7) and three 1×1 heads at
 * strides 8, 16 and 32 giving the usual 8400 anchors. Weights are random; box outputs are squashed into the input
 * and class scores biased so that a few hundred anchors pass a 0.25 threshold on real images — more NMS work than a
 * trained model usually leaves.
 */
export function convDetectorModel(options: { size?: number; classes?: number; seed?: number } = {}): Buffer {
  const size = options.size ?? 640;
  const classes = options.classes ?? 1;
  const next = seededRandom(options.seed ?? 1);
  const gaussian = () => Math.sqrt(-2 * Math.log(next() || 1e-12)) * Math.cos(2 * Math.PI * next());
  const nodes: onnx.INodeProto[] = [];
  const initializers: onnx.ITensorProto[] = [];
  let counter = 0;

  const conv = (input: string, inChannels: number, outChannels: number, kernel: number, stride: number) => {
    const id = counter++;
    const fanIn = inChannels * kernel * kernel;
    const weights = Float32Array.from({ length: outChannels * fanIn }, () => gaussian() * Math.sqrt(2 / fanIn));
    initializers.push(floatTensor(`w${id}`, [outChannels, inChannels, kernel, kernel], weights));
    initializers.push(floatTensor(`b${id}`, [outChannels], new Float32Array(outChannels)));
    nodes.push({
      opType: "Conv",
      input: [input, `w${id}`, `b${id}`],
      output: [`conv${id}`],
      attribute: [
        { name: "kernel_shape", type: onnx.AttributeProto.AttributeType.INTS, ints: [kernel, kernel] },
        { name: "strides", type: onnx.AttributeProto.AttributeType.INTS, ints: [stride, stride] },
        { name: "pads", type: onnx.AttributeProto.AttributeType.INTS, ints: Array(4).fill(Math.floor(kernel / 2)) },
      ],
    });
    nodes.push({ opType: "Relu", input: [`conv${id}`], output: [`relu${id}`] });
    return `relu${id}`;
  };

  let x = conv("images", 3, 16, 3, 2);
  let channels = 16;
  const features: [string, number][] = [];
  for (const width of [32, 64, 128, 256]) {
    x = conv(x, channels, width, 3, 2);
    x = conv(x, width, width, 3, 1);
    x = conv(x, width, width, 3, 1);
    channels = width;
    if (width >= 64) features.push([x, width]);
  }

  const outputs = 4 + classes;
  const heads = features.map(([feature, width], i) => {
    const weights = Float32Array.from({ length: outputs * width }, () => (gaussian() * 3) / Math.sqrt(width));
    const bias = Float32Array.from({ length: outputs }, (_, c) => (c < 4 ? 0 : -5));
    initializers.push(floatTensor(`hw${i}`, [outputs, width, 1, 1], weights));
    initializers.push(floatTensor(`hb${i}`, [outputs], bias));
    nodes.push({ opType: "Conv", input: [feature, `hw${i}`, `hb${i}`], output: [`head${i}`] });
    nodes.push({ opType: "Reshape", input: [`head${i}`, "flat_shape"], output: [`flat${i}`] });
    return `flat${i}`;
  });
  initializers.push(int64Tensor("flat_shape", [3], [1, outputs, -1]));
  initializers.push(
    floatTensor("output_scale", [1, outputs, 1], [size, size, size / 4, size / 4, ...Array(classes).fill(1)]),
  );
  nodes.push({
    opType: "Concat",
    input: heads,
    output: ["anchors"],
    attribute: [{ name: "axis", type: onnx.AttributeProto.AttributeType.INT, i: 2 }],
  });
  nodes.push({ opType: "Sigmoid", input: ["anchors"], output: ["squashed"] });
  nodes.push({ opType: "Mul", input: ["squashed", "output_scale"], output: ["output0"] });
  const anchors = [8, 16, 32].reduce((sum, stride) => sum + (size / stride) ** 2, 0);
  return encode({
    name: "conv-detector-fixture",
    input: [inputInfo({ width: size, height: size })],
    output: [valueInfo("output0", FLOAT, [1, outputs, anchors])],
    initializer: initializers,
    node: nodes,
  });
}

/**
 * A convolution, batch norm and ReLU (which onnxruntime's optimiser fuses), pooled to one feature per channel: for
 * the compile stage's check that an optimised model still gives the same outputs.
 */
export function convModel({ width, height, seed = 1 }: { width: number; height: number; seed?: number }): Buffer {
  const next = seededRandom(seed);
  const centred = () => next() - 0.5;
  const channels = 4;
  const floats = (n: number, f: () => number) => Float32Array.from({ length: n }, f);
  const ints = (name: string, values: number[]) => ({
    name,
    type: onnx.AttributeProto.AttributeType.INTS,
    ints: values,
  });
  return encode({
    name: "golden-check-fixture",
    input: [inputInfo({ width, height })],
    output: [valueInfo("features", FLOAT, [1, channels]), valueInfo("map", FLOAT, [1, channels, height, width])],
    initializer: [
      floatTensor("w", [channels, 3, 3, 3], floats(channels * 27, centred)),
      floatTensor("b", [channels], floats(channels, centred)),
      floatTensor(
        "scale",
        [channels],
        floats(channels, () => 1 + centred() / 2),
      ),
      floatTensor("shift", [channels], floats(channels, centred)),
      floatTensor(
        "mean",
        [channels],
        floats(channels, () => centred() / 4),
      ),
      floatTensor(
        "var",
        [channels],
        floats(channels, () => 1 + centred() / 4),
      ),
    ],
    node: [
      { opType: "Conv", input: ["images", "w", "b"], output: ["conv"], attribute: [ints("pads", [1, 1, 1, 1])] },
      { opType: "BatchNormalization", input: ["conv", "scale", "shift", "mean", "var"], output: ["bn"] },
      { opType: "Relu", input: ["bn"], output: ["map"] },
      { opType: "GlobalAveragePool", input: ["map"], output: ["pooled"] },
      { opType: "Flatten", input: ["pooled"], output: ["features"] },
    ],
  });
}
