/**
 * The parts of the Amazon States Language (JSONPath flavour) this project writes, as types, so that the definition
 * builder is checked by the compiler. See https://states-language.net/spec.html.
 */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface Retrier {
  ErrorEquals: string[];
  IntervalSeconds: number;
  MaxAttempts: number;
  BackoffRate: number;
  MaxDelaySeconds?: number;
  JitterStrategy?: "FULL" | "NONE";
}

export interface Catcher {
  ErrorEquals: string[];
  /** Omitted: the error replaces the state's input. */
  ResultPath?: string;
  Next: string;
}

interface Flow {
  Next?: string;
  End?: true;
  Comment?: string;
}

export interface TaskState extends Flow {
  Type: "Task";
  Resource: string;
  Parameters?: Record<string, Json>;
  ResultSelector?: Record<string, Json>;
  ResultPath?: string | null;
  TimeoutSeconds: number;
  /** Callback tasks (`.waitForTaskToken`): fail with States.HeartbeatTimeout after this long without a heartbeat. */
  HeartbeatSeconds?: number;
  Retry?: Retrier[];
  Catch?: Catcher[];
}

export interface PassState extends Flow {
  Type: "Pass";
  Parameters?: Record<string, Json>;
  Result?: Json;
  ResultPath?: string | null;
}

export interface WaitState extends Flow {
  Type: "Wait";
  Seconds: number;
}

export type ChoiceRule = { Next: string } & ChoiceCondition;
export type ChoiceCondition =
  | { And: ChoiceCondition[] }
  | { Or: ChoiceCondition[] }
  | { Not: ChoiceCondition }
  | ({ Variable: string } & (
      | { StringEquals: string }
      | { BooleanEquals: boolean }
      | { NumericEquals: number }
      | { NumericGreaterThan: number }
      | { NumericGreaterThanEquals: number }
      | { IsPresent: boolean }
      | { IsNull: boolean }
    ));

export interface ChoiceState {
  Type: "Choice";
  Comment?: string;
  Choices: ChoiceRule[];
  Default: string;
}

export interface FailState {
  Type: "Fail";
  Comment?: string;
  ErrorPath: string;
  CausePath: string;
}

export type State = TaskState | PassState | WaitState | ChoiceState | FailState;

export interface StateMachineDefinition {
  Comment: string;
  StartAt: string;
  States: Record<string, State>;
}
