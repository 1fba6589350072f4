import { onnx } from "onnx-proto";

/**
 * Small ONNX models written with onnx-proto, for tests that run real onnxruntime sessions: a convolution, batch norm
 * and ReLU (which onnxruntime's optimiser fuses), pooled to one feature per channel.
 */
export function convModel({ width, height, seed = 1 }: { width: number; height: number; seed?: number }): Buffer {
  let state = seed;
  const random = () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31 - 0.5;
  };
  const channels = 4;
  const tensor = (name: string, dims: number[], values: number[]) =>
    onnx.TensorProto.create({ name, dims, dataType: onnx.TensorProto.DataType.FLOAT, floatData: values });
  const floats = (n: number, f: () => number) => Array.from({ length: n }, f);
  const attribute = (name: string, ints: number[]) =>
    onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INTS, ints });
  const valueInfo = (name: string, dims: number[]) =>
    onnx.ValueInfoProto.create({
      name,
      type: {
        tensorType: {
          elemType: onnx.TensorProto.DataType.FLOAT,
          shape: { dim: dims.map((dimValue) => ({ dimValue })) },
        },
      },
    });

  const graph = onnx.GraphProto.create({
    name: "golden-check-fixture",
    input: [valueInfo("images", [1, 3, height, width])],
    output: [valueInfo("features", [1, channels]), valueInfo("map", [1, channels, height, width])],
    initializer: [
      tensor("w", [channels, 3, 3, 3], floats(channels * 27, random)),
      tensor("b", [channels], floats(channels, random)),
      tensor(
        "scale",
        [channels],
        floats(channels, () => 1 + random() / 2),
      ),
      tensor("shift", [channels], floats(channels, random)),
      tensor(
        "mean",
        [channels],
        floats(channels, () => random() / 4),
      ),
      tensor(
        "var",
        [channels],
        floats(channels, () => 1 + random() / 4),
      ),
    ],
    node: [
      onnx.NodeProto.create({
        opType: "Conv",
        input: ["images", "w", "b"],
        output: ["conv"],
        attribute: [attribute("pads", [1, 1, 1, 1])],
      }),
      onnx.NodeProto.create({
        opType: "BatchNormalization",
        input: ["conv", "scale", "shift", "mean", "var"],
        output: ["bn"],
      }),
      onnx.NodeProto.create({ opType: "Relu", input: ["bn"], output: ["map"] }),
      onnx.NodeProto.create({ opType: "GlobalAveragePool", input: ["map"], output: ["pooled"] }),
      onnx.NodeProto.create({ opType: "Flatten", input: ["pooled"], output: ["features"] }),
    ],
  });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: "quality-inspection tests",
    opsetImport: [{ domain: "", version: 13 }],
    graph,
  });
  return Buffer.from(onnx.ModelProto.encode(model).finish());
}
