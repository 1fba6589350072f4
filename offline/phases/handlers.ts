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
  training: LocalTraining;
  greengrass: LocalGreengrass;
  /** Where the SNS Task's messages go. */
  notifications: OfflineResult["notifications"];
  print: Print;
}

/** Every Task resource of the definition → its local implementation. */
export function localHandlers(definition: StateMachineDefinition, services: TaskServices): Record<string, TaskHandler> {
  const { stack, workforce, training, greengrass, notifications, print } = services;
  const { objects, labels, components, registry, resources } = stack;
  const neoOffline = () => {
    throw new ServiceError(
      "SageMaker.ValidationException",
      "SageMaker Neo cannot compile offline; use compilation.target=onnx",
    );
  };
  return handlersByState(definition, {
    ...lambdaResources(resources.functions, pipelineLambdas({ objects, labels, components, log: quietLog(print) })),
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
    "arn:aws:states:::sagemaker:createTrainingJob.sync": (request) => training.createTrainingJob(request),
    "arn:aws:states:::aws-sdk:sagemaker:createModelPackage": (request) => registry.createModelPackage(request),
    "arn:aws:states:::aws-sdk:sagemaker:describeModelPackage": (request) => registry.describeModelPackage(request),
    "arn:aws:states:::aws-sdk:sagemaker:createCompilationJob": neoOffline,
    "arn:aws:states:::aws-sdk:sagemaker:describeCompilationJob": neoOffline,
    "arn:aws:states:::aws-sdk:greengrassv2:createDeployment": (request) => greengrass.createDeployment(request),
    "arn:aws:states:::aws-sdk:iot:describeJob": (request) => greengrass.describeJob(request),
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
