import type { StateMachineDefinition, TaskState } from "../../stateMachines/asl";
import type { CheckOptions } from "./requestShapes";

/**
 * What a Task's `Resource` calls in AWS. `arn:aws:states:::aws-sdk:<service>:<action>` is an SDK integration,
 * `arn:aws:states:::<service>:<action>[.sync]` an optimised one; a Lambda function ARN is the legacy invoke. Any
 * Resource that fits none of them fails loudly, so a new kind of Task cannot go unchecked.
 */
export interface TaskIntegration {
  kind: "aws-sdk" | "optimised" | "lambda";
  /** The aws-sdk (v2) service key of its API model: `sagemaker`, `greengrassv2`, `iot`, `sns`, `lambda`. */
  service: string;
  /** The API operation, PascalCase: `CreateCompilationJob`. */
  operation: string;
  /** `.sync`: Step Functions waits for the job, calling more APIs on the role's behalf. */
  sync: boolean;
  /** How Step Functions passes the Parameters on, where it differs from the API model. */
  options: CheckOptions;
}

/** Step Functions' service names in `aws-sdk:` ARNs where aws-sdk (v2) names the service otherwise. */
const SDK_SERVICE_ALIASES: Record<string, string> = { sfn: "stepfunctions" };

/**
 * Optimised integrations whose Parameters differ from the API request. SNS Publish: "Message" may be any JSON,
 * which Step Functions sends as its JSON text (https://docs.aws.amazon.com/step-functions/latest/dg/connect-sns.html).
 */
const OPTIMISED_DIFFERENCES: Record<string, CheckOptions> = {
  "sns:publish": { anyValueAt: ["Message"] },
};

/**
 * SDK integrations whose Parameters differ from the API request. S3 PutObject: a JSON "Body" is written as its JSON
 * text (https://docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html).
 */
const SDK_DIFFERENCES: Record<string, CheckOptions> = {
  "s3:putObject": { anyValueAt: ["Body"] },
};

const pascal = (action: string) => action[0].toUpperCase() + action.slice(1);

export function taskIntegration(resource: string): TaskIntegration {
  // `.waitForTaskToken`: the call is made as usual, then the Task waits for a callback with its token.
  const sdk = /^arn:aws:states:::aws-sdk:([a-z0-9]+):([a-zA-Z0-9]+)(\.waitForTaskToken)?$/.exec(resource);
  if (sdk) {
    const [, service, action] = sdk;
    const key = SDK_SERVICE_ALIASES[service] ?? service;
    return {
      kind: "aws-sdk",
      service: key,
      operation: pascal(action),
      sync: false,
      options: { parameters: true, pascalCase: true, ...SDK_DIFFERENCES[`${service}:${action}`] },
    };
  }
  const optimised = /^arn:aws:states:::([a-z0-9-]+):([a-zA-Z0-9]+)(\.sync(?::2)?|\.waitForTaskToken)?$/.exec(resource);
  if (optimised) {
    const [, service, action, suffix] = optimised;
    const differences = OPTIMISED_DIFFERENCES[`${service}:${action}`] ?? {};
    return {
      kind: "optimised",
      service: SDK_SERVICE_ALIASES[service] ?? service,
      operation: pascal(action),
      sync: suffix?.startsWith(".sync") ?? false,
      options: { parameters: true, ...differences },
    };
  }
  if (/^arn:aws:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]+(:[A-Za-z0-9_$-]+)?$/.test(resource)) {
    return { kind: "lambda", service: "lambda", operation: "Invoke", sync: false, options: {} };
  }
  throw new Error(`a Task calls ${resource}, which the checks do not know: add it to test/harness/taskIntegrations.ts`);
}

/** Every Task of a definition with what it calls. */
export function definitionTasks(
  definition: StateMachineDefinition,
): { name: string; state: TaskState; integration: TaskIntegration }[] {
  return Object.entries(definition.States)
    .filter((entry): entry is [string, TaskState] => entry[1].Type === "Task")
    .map(([name, state]) => ({ name, state, integration: taskIntegration(state.Resource) }));
}
