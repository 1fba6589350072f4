import * as ort from "onnxruntime-node";
import { buildDataset } from "../lambdas/buildDataset/handler";
import type { SplitEngine } from "../lambdas/buildDataset/querySplit";
import { checkFleetResults } from "../lambdas/checkFleetResults/handler";
import { decodeImage } from "../lambdas/shared/decode";
import { compileOnnx } from "../lambdas/compileOnnx/handler";
import { createModelComponent } from "../lambdas/createModelComponent/handler";
import { evaluateModel } from "../lambdas/evaluateModel/handler";
import { findUnlabeledImages } from "../lambdas/findUnlabeledImages/handler";
import { ingestLabels } from "../lambdas/ingestLabels/handler";
import { prepareLabelingJob } from "../lambdas/prepareLabelingJob/handler";
import type { ComponentRegistry, LabelStore, Log, ObjectStore, RunningExecutions } from "../lib/ports";
import { startRun } from "../lambdas/startRun/handler";
import type { PipelineFunction } from "../stateMachines/functions";
import type { TaskHandler } from "./localExecution";

/** The outside world of the pipeline's Lambda functions: the ports their `index.ts` fill with AWS adapters. */
export interface LambdaPorts {
  objects: ObjectStore;
  labels: LabelStore;
  components: ComponentRegistry;
  log: Log;
  sleep?: (ms: number) => Promise<void>;
  /** Default: none, as an offline run is the only execution of its local state machine. */
  executions?: RunningExecutions;
  /**
   * Opens the engine that plays Athena over the label store's history for BuildDataset (DuckDB over the label store
   * file), closed after each invocation; without it every dataset is split in the handler.
   */
  splitEngine?: () => Promise<SplitEngine>;
}

/** Every function the state machine invokes, as its real handler on the given ports. */
export function pipelineLambdas(ports: LambdaPorts): Record<PipelineFunction, TaskHandler> {
  const { objects, labels, components, log, sleep } = ports;
  const executions = ports.executions ?? { list: async () => [] };
  return {
    startRun: (event) => startRun(event, { log, executions }),
    findUnlabeledImages: (event) => findUnlabeledImages(event, { objects, labels, log }),
    prepareLabelingJob: (event) => prepareLabelingJob(event, { objects, log }),
    ingestLabels: (event) => ingestLabels(event, { objects, labels, log, sleep }),
    buildDataset: async (event) => {
      const splitEngine = await ports.splitEngine?.();
      try {
        return await buildDataset(event, { objects, labels, log, splitEngine });
      } finally {
        await splitEngine?.engine.close();
      }
    },
    evaluateModel: (event) => evaluateModel(event, { objects, log, ort, decodeImage }),
    compileOnnx: (event) => compileOnnx(event, { objects, log, ort, decodeImage }),
    checkFleetResults: (event) => checkFleetResults(event, { objects, log }),
    createModelComponent: (event) => createModelComponent(event, { objects, components, log, sleep }),
  };
}

const LOCAL_RUNNER_FRAME = /[\\/](offline[\\/][^\\/]+\.ts|node_modules[\\/]aws-local-stepfunctions[\\/])/;

/**
 * What Step Functions sees when a Lambda function throws: the error's name as the error, and Lambda's error payload
 * (`errorType`, `errorMessage`, `trace`) as the cause — so a local failure reads like one in AWS.
 */
export function asLambdaInvocation(handler: TaskHandler): TaskHandler {
  return async (event) => {
    try {
      return await handler(event);
    } catch (error) {
      if (!(error instanceof Error)) throw error;
      // The function's own frames, as Lambda's trace would show them; the local runner's are no part of it.
      const trace = (error.stack ?? "").split("\n").filter((line) => !LOCAL_RUNNER_FRAME.test(line));
      const payload = { errorType: error.name, errorMessage: error.message, trace };
      throw Object.assign(new Error(JSON.stringify(payload)), { name: error.name });
    }
  };
}

/** Lambda ARN → handler, for `handlersByState`. */
export function lambdaResources(
  functionArns: Record<PipelineFunction, string>,
  handlers: Record<PipelineFunction, TaskHandler>,
): Record<string, TaskHandler> {
  return Object.fromEntries(
    (Object.keys(functionArns) as PipelineFunction[]).map((fn) => [functionArns[fn], asLambdaInvocation(handlers[fn])]),
  );
}
