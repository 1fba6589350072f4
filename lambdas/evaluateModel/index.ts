import * as ort from "onnxruntime-node";
import { dataLakeFromEnv } from "../../lib/aws/s3ObjectStore";
import { decodeImage } from "../shared/decode";
import { createLogger } from "../shared/logger";
import { evaluateModel } from "./handler";

const deps = { objects: dataLakeFromEnv(), log: createLogger("evaluate-model"), ort, decodeImage };

export const handler = (event: unknown) => evaluateModel(event, deps);
