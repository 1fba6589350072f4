import { PUT_OBJECT, putObjectLocally } from "../s3Integration";
import { z } from "zod";
import type { Log } from "../../lib/ports";
import type { StateMachineDefinition } from "../../stateMachines/asl";
import type { LocalLabelingWorkforce } from "../labelingWorkforce";
import { lambdaResources, pipelineLambdas } from "../lambdas";
import { handlersByState, TaskHandler } from "../localExecution";
import type { LocalGreengrass } from "../localGreengrass";
import type { LocalStack } from "../localStack";
import type { LocalTraining } from "../localTraining";
import type { Print } from "../report";
import type { OfflineResult } from "../run";
import { ServiceError } from "../serviceError";
import { LocalVersionedObjects, modelPredrawer, startLabeler } from "../../labeler";
import { STATES } from "../../stateMachines/states";
import { labelsEngine } from "../../lib/labels/duckDbLabels";
import { LocalTaskTokens, PUT_OBJECT_AND_WAIT, putObjectAndWait } from "../taskTokens";

/** Handlers log through Powertools in AWS; here only their warnings and errors are worth a line. */
function quietLog(print: Print): Log {
  const line = (level: string) => (message: string, extra?: Record<string, unknown>) =>
    print(`  ${level}: ${message}${extra ? ` ${JSON.stringify(extra)}` : ""}`);
  return { debug: () => undefined, info: () => undefined, warn: line("warning"), error: line("error") };
}

/** Records each Task's last result and hands it on unchanged. */
export function recording(
  handlers: Record<string, TaskHandler>,
  results: Map<string, unknown>,
): Record<string, TaskHandler> {
  return Object.fromEntries(
    Object.entries(handlers).map(([state, handler]): [string, TaskHandler] => [
      state,
      async (input) => {
        const result = await handler(input);
        results.set(state, result);
        return result;
      },
    ]),
  );
}

/** What the Tasks' local implementations work on. */
export interface TaskServices {
  stack: LocalStack;
  workforce: LocalLabelingWorkforce;
  /** The execution's task tokens, and the one token its callback Task gets. */
  tokens: LocalTaskTokens;
  taskToken: string;
  /** `--label-by-hand`: the labeling app serves the batch to a person (the model pre-draws) instead of the workforce. */
  byHand?: { modelPath: string; port: number };
  /** What the Tasks started that lives until the run ends (the labeling app: its page shows the end of the batch). */
  started: { close(): Promise<void> }[];
  training: LocalTraining;
  greengrass: LocalGreengrass;
  /** Where the SNS Task's messages go. */
  notifications: OfflineResult["notifications"];
  print: Print;
}

/** Every Task resource of the definition → its local implementation. */
export function localHandlers(definition: StateMachineDefinition, services: TaskServices): Record<string, TaskHandler> {
  const { stack, workforce, training, greengrass, notifications, print } = services;
  const labelImages = definition.States[STATES.labelImages];
  const { objects, labels, components, registry, resources } = stack;
  const neoOffline = () => {
    throw new ServiceError(
      "SageMaker.ValidationException",
      "SageMaker Neo cannot compile offline; use compilation.target=onnx",
    );
  };
  const followOffline = () => {
    throw new ServiceError("SageMaker.ValidationException", "local jobs are not followed: their create never fails");
  };
  return handlersByState(definition, {
    ...lambdaResources(
      resources.functions,
      pipelineLambdas({
        objects,
        labels,
        components,
        log: quietLog(print),
        splitEngine: () => labelsEngine(labels.file),
      }),
    ),
    "arn:aws:states:::sagemaker:createLabelingJob.sync": async (request) => {
      const output = await workforce.createLabelingJob(request);
      const job = workforce.jobs.at(-1)!;
      const failed = job.failed ? `, ${job.failed} failed` : "";
      const verdicts = job.kind === "verification" ? `, ${job.incorrect} judged incorrect` : "";
      print(
        `  ${job.kind} job ${job.name}: ${job.objects} images, ${job.labeled} answered${failed}${verdicts} ` +
          "(local workforce, answering from ground truth)",
      );
      return output;
    },
    [PUT_OBJECT_AND_WAIT]: labelingBatch(
      services,
      labelImages?.Type === "Task" ? labelImages.HeartbeatSeconds : undefined,
    ),
    "arn:aws:states:::sagemaker:createTrainingJob.sync": (request) => training.createTrainingJob(request),
    "arn:aws:states:::aws-sdk:sagemaker:createModelPackage": (request) => registry.createModelPackage(request),
    "arn:aws:states:::aws-sdk:sagemaker:describeModelPackage": (request) => registry.describeModelPackage(request),
    "arn:aws:states:::aws-sdk:sagemaker:createCompilationJob": neoOffline,
    "arn:aws:states:::aws-sdk:sagemaker:describeCompilationJob": neoOffline,
    "arn:aws:states:::aws-sdk:greengrassv2:createDeployment": (request) => greengrass.createDeployment(request),
    "arn:aws:states:::aws-sdk:iot:describeJob": (request) => greengrass.describeJob(request),
    [PUT_OBJECT]: putObjectLocally(objects),
    // Only a create retried after it had succeeded follows its job; local jobs answer their create once.
    "arn:aws:states:::aws-sdk:sagemaker:describeTrainingJob": followOffline,
    "arn:aws:states:::aws-sdk:sagemaker:describeLabelingJob": followOffline,
    "arn:aws:states:::sns:publish": (request) => {
      const message = z
        .looseObject({ TopicArn: z.string(), Subject: z.string().min(1).max(100), Message: z.unknown() })
        .parse(request);
      // Step Functions' SNS integration sends an object Message as its JSON text.
      const text = typeof message.Message === "string" ? message.Message : JSON.stringify(message.Message);
      notifications.push({ Subject: message.Subject, Message: text });
      print(`  alert to ${message.TopicArn}: ${message.Subject}`);
      return { MessageId: `local-${notifications.length}` };
    },
  });
}

/**
 * LabelImages with the labeling app: the batch file is written and the run waits for its task token, which either a
 * person completes in the app (`--label-by-hand`, the address printed) or the local workforce does at once.
 */
function labelingBatch(services: TaskServices, heartbeatSeconds: number | undefined): TaskHandler {
  const { stack, workforce, tokens, taskToken, byHand, print } = services;
  return putObjectAndWait(stack.objects, tokens, { token: taskToken, heartbeatSeconds }, async (key, body) => {
    if (!byHand) {
      const result = await workforce.labelBatch(body);
      print(`  labeling batch ${key}: ${result.counters.total} images (local workforce, answering from ground truth)`);
      await tokens.succeed(taskToken, result);
      return;
    }
    const labeler = await startLabeler(
      { job: key.split("/")[1], labeler: "you", port: byHand.port },
      {
        objects: stack.objects,
        versioned: new LocalVersionedObjects(stack.objects),
        callbacks: tokens,
        predrawer: await modelPredrawer(byHand.modelPath),
      },
    );
    services.started.push(labeler);
    print(`  label by hand: open ${labeler.url} — the run waits until the batch is labeled (or rejected)`);
  });
}
