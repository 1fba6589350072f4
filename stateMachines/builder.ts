import type { PipelineOutcome } from "../contracts/pipelineInput";
import type { Catcher, Json, PassState, Retrier, State, TaskState } from "./asl";
import type { PipelineDefinitionArgs } from "./definitionArgs";
import { PIPELINE_FUNCTIONS, PipelineFunction } from "./functions";
import type { StageDefinition } from "./progress";
import { LAMBDA_RETRY } from "./retries";
import { failedStateOf, STATES } from "./states";

// The shared context every stage module builds its states with. `task()` and `lambda()` are the only ways to add a
// Task without a Catch of its own: each gets the Catch and the failure-recording state by construction.

/** A value in a failure record: a constant, or a JSONPath / intrinsic function evaluated at run time. */
export type Expr = { value: string } | { path: string };
export const intrinsic = (expression: string): Expr => ({ path: expression });
const field = (name: string, expr: Expr): Record<string, Json> =>
  "value" in expr ? { [name]: expr.value } : { [`${name}.$`]: expr.path };

/** A state that ends a run successfully, reporting its outcome. */
export const report = (outcome: PipelineOutcome): PassState => ({
  Type: "Pass",
  Result: outcome,
  ResultPath: "$.outcome",
  End: true,
});

/** A Task's definition; `Catch` holds only catchers for specific errors, which go before the one every Task has. */
type TaskDefinition = Omit<TaskState, "Type" | "Catch"> & { Catch?: Catcher[] };
type LambdaDefinition = { Parameters: Record<string, Json>; ResultPath?: string; Next: string; Retry?: Retrier[] };
/** A Task that handles its own errors: only the failure notice, which cannot notify about itself. */
type SelfCatchingTask = TaskState & { Catch: [Catcher, ...Catcher[]] };

export interface StageBuilder {
  readonly args: PipelineDefinitionArgs;
  /** The stack's tags as SageMaker takes them: a list of Key/Value pairs (Greengrass takes `args.tags`, a map). */
  readonly sageMakerTags: { Key: string; Value: string }[];
  /**
   * A Task with its timeout, retries and the Catch every Task has: the error goes to `catchInto`, a failure Pass
   * state describes it, the run notifies and fails.
   */
  task(name: string, definition: TaskDefinition, catchInto?: string): void;
  /** A Task that invokes one of the pipeline's functions, waiting a minute longer than the function may run. */
  lambda(name: string, fn: PipelineFunction, definition: LambdaDefinition, catchInto?: string): void;
  /**
   * A failure Pass state: records the failed state, the error and the cause in `$.failure` (each a constant, a
   * JSONPath or an intrinsic function), then notifies.
   */
  failure(name: string, state: string, error: Expr, cause: Expr): void;
  /** Any other state: Choice, Wait, Pass, Fail, or a Task that brings its own Catch. */
  state(name: string, state: Exclude<State, TaskState> | SelfCatchingTask): void;
}

/** What a stage declares: its name, as people see it, and every state it builds. */
export interface StageDeclaration {
  name: string;
  /** States built with `task()` or `lambda()`; each brings its failure state, `failedStateOf(task)`. */
  tasks: readonly string[];
  /** Choice, Wait and Pass states, and Tasks with a Catch of their own. */
  others?: readonly string[];
  /** Failure states for what the stage detects itself (a job that ended badly), built with `failure()`. */
  failures?: readonly string[];
}

/** One stage of the pipeline: how watch and the offline run show it, and the states it contributes. */
export interface StageModule {
  readonly stage: StageDefinition;
  /** The stage's states for these inputs, in definition order; only states the stage declares. */
  states(args: PipelineDefinitionArgs): Record<string, State>;
}

/** A stage module from its declaration and the function that builds its states through a `StageBuilder`. */
export function defineStage(declaration: StageDeclaration, build: (stage: StageBuilder) => void): StageModule {
  const { name, tasks, others = [], failures = [] } = declaration;
  const taskFailures = tasks.map(failedStateOf);
  const stage: StageDefinition = {
    name,
    states: [...tasks, ...others, ...taskFailures, ...failures],
    failureStates: [...taskFailures, ...failures],
  };
  return {
    stage,
    states(args) {
      const states: Record<string, State> = {};
      build(stageBuilder(stage, tasks, args, states));
      return states;
    },
  };
}

function stageBuilder(
  stage: StageDefinition,
  tasks: readonly string[],
  args: PipelineDefinitionArgs,
  states: Record<string, State>,
): StageBuilder {
  const { region } = args;
  const consoleUrl = `https://${region}.console.aws.amazon.com/states/home?region=${region}#/v2/executions/details/{}`;

  // A stage builds only what it declares, so the stage list watch shows cannot drift from the definition.
  function put(name: string, state: State): void {
    if (!stage.states.includes(name))
      throw new Error(`stage "${stage.name}" builds ${name}, which it does not declare`);
    if (name in states) throw new Error(`stage "${stage.name}" builds ${name} twice`);
    states[name] = state;
  }

  function failure(name: string, state: string, error: Expr, cause: Expr): void {
    put(name, {
      Type: "Pass",
      Parameters: {
        state,
        ...field("error", error),
        ...field("cause", cause),
        "execution.$": "$$.Execution.Id",
        "console.$": `States.Format('${consoleUrl}', $$.Execution.Id)`,
      },
      ResultPath: "$.failure",
      Next: STATES.notifyFailure,
    });
  }

  function task(name: string, { Catch: specific = [], ...definition }: TaskDefinition, catchInto = "$.caught"): void {
    if (!tasks.includes(name)) throw new Error(`stage "${stage.name}" builds Task ${name}, which it does not declare`);
    put(name, {
      Type: "Task",
      ...definition,
      // ResultPath "$" is spelled by omission: Step Functions' default, and what aws-local-stepfunctions understands.
      Catch: [
        ...specific,
        {
          ErrorEquals: ["States.ALL"],
          ...(catchInto === "$" ? {} : { ResultPath: catchInto }),
          Next: failedStateOf(name),
        },
      ],
    });
    failure(failedStateOf(name), name, { path: `${catchInto}.Error` }, { path: `${catchInto}.Cause` });
  }

  return {
    args,
    sageMakerTags: Object.entries(args.tags).map(([Key, Value]) => ({ Key, Value })),
    task,
    lambda(name, fn, definition, catchInto) {
      const timeout = PIPELINE_FUNCTIONS[fn].timeoutSeconds + 60;
      const Retry = [LAMBDA_RETRY, ...(definition.Retry ?? [])];
      task(name, { Resource: args.functions[fn], TimeoutSeconds: timeout, ...definition, Retry }, catchInto);
    },
    failure,
    state: put,
  };
}
