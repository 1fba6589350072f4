import * as ort from "onnxruntime-node";
import { dataLakeFromEnv } from "../../lib/aws/s3ObjectStore";
import { createLogger } from "../shared/logger";
import { decodeImage } from "../shared/decode";
import { compileOnnx } from "./handler";

const deps = { objects: dataLakeFromEnv(), log: createLogger("compile-onnx"), ort, decodeImage };

export const handler = (event: unknown) => compileOnnx(event, deps);
