import type { Catcher, Json } from "./asl";
import { intrinsic, StageBuilder, StageDeclaration } from "./builder";

// A SageMaker create that Step Functions retried after the first call had in fact created the job gets ResourceInUse
// for our own, deterministic job name: the job is already started. Instead of failing (and leaving the job running,
// orphaned), the run follows that job: describe → wait → describe, until it ends, then goes on as `.sync` would have.

/** The states that follow a job its Task had already started, named after the Task. */
export function followStates(task: string) {
  return {
    follow: `Follow${task}Job`,
    describe: `Describe${task}Job`,
    done: `${task}JobDone`,
    count: `Count${task}JobPoll`,
    wait: `WaitFor${task}Job`,
    use: `Use${task}Job`,
    failed: `${task}JobFailed`,
    timedOut: `${task}JobTimedOut`,
  };
}

/** What a stage declares for a followed job. */
export function followDeclaration(task: string): Required<Omit<StageDeclaration, "name">> {
  const s = followStates(task);
  return { tasks: [s.describe], others: [s.follow, s.done, s.count, s.wait, s.use], failures: [s.failed, s.timedOut] };
}

/** SageMaker's answer to a create whose name is taken (optimised and SDK integrations spell it differently). */
export const RESOURCE_IN_USE = ["SageMaker.ResourceInUseException", "SageMaker.ResourceInUse"];

/** The Catch a create Task puts before its States.ALL one: a job of ours already exists, follow it. */
export const followCatcher = (task: string): Catcher => ({
  ErrorEquals: RESOURCE_IN_USE,
  ResultPath: "$.follow",
  Next: followStates(task).follow,
});

export interface FollowedJob {
  task: string;
  /** e.g. `arn:aws:states:::aws-sdk:sagemaker:describeTrainingJob`. */
  describeResource: string;
  /** The describe call's name parameter and the JSONPath of our job name. */
  nameParameter: string;
  namePath: string;
  statusField: string;
  completed: string;
  failed: string[];
  /** The create Task's ResultSelector, ResultPath and Next: the followed job's description goes on the same way. */
  resultSelector: Record<string, Json>;
  resultPath: string;
  next: string;
  pollIntervalSeconds: number;
  maxPolls: number;
  retry: NonNullable<Parameters<StageBuilder["task"]>[1]["Retry"]>;
}

/** Builds the follow loop of one create Task. */
export function followJob(stage: StageBuilder, job: FollowedJob): void {
  const s = followStates(job.task);
  const status = `$.follow.job.${job.statusField}`;
  stage.state(s.follow, { Type: "Pass", Result: { n: 1 }, ResultPath: "$.follow.polls", Next: s.describe });
  stage.task(s.describe, {
    Resource: job.describeResource,
    Parameters: { [`${job.nameParameter}.$`]: job.namePath },
    ResultPath: "$.follow.job",
    TimeoutSeconds: 60,
    Retry: job.retry,
    Next: s.done,
  });
  stage.state(s.done, {
    Type: "Choice",
    Choices: [
      { Variable: status, StringEquals: job.completed, Next: s.use },
      { Or: job.failed.map((value) => ({ Variable: status, StringEquals: value })), Next: s.failed },
      { Variable: "$.follow.polls.n", NumericGreaterThanEquals: job.maxPolls, Next: s.timedOut },
    ],
    Default: s.count,
  });
  stage.state(s.count, {
    Type: "Pass",
    Parameters: { "n.$": "States.MathAdd($.follow.polls.n, 1)" },
    ResultPath: "$.follow.polls",
    Next: s.wait,
  });
  stage.state(s.wait, { Type: "Wait", Seconds: job.pollIntervalSeconds, Next: s.describe });
  // The .sync result is the job's description, so the create Task's ResultSelector applies to the followed one.
  const parameters = Object.fromEntries(
    Object.entries(job.resultSelector).map(([key, value]) => [
      key,
      key.endsWith(".$") && typeof value === "string" ? value.replace(/^\$\./, "$.follow.job.") : value,
    ]),
  );
  stage.state(s.use, { Type: "Pass", Parameters: parameters, ResultPath: job.resultPath, Next: job.next });
  stage.failure(
    s.failed,
    s.describe,
    { value: `${job.task}JobFailed` },
    intrinsic(
      `States.Format('job {} (started by an earlier attempt of ${job.task}) ended as {}', ${job.namePath}, ${status})`,
    ),
  );
  stage.failure(
    s.timedOut,
    s.describe,
    { value: `${job.task}JobTimedOut` },
    intrinsic(
      `States.Format('job {} (started by an earlier attempt of ${job.task}) was still {} after {} checks', ${job.namePath}, ${status}, $.follow.polls.n)`,
    ),
  );
}
