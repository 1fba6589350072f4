import { AwsJsonFake, Handler } from "./awsJsonFake";
import type { HistoryEventJson } from "../harness/sfnHistory";

export type { FakeError } from "./awsJsonFake";

export interface FakeExecution {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  input: string;
  startDate: number;
  /** The whole history; `revealed` events of it are visible so far. */
  history: HistoryEventJson[];
  revealed: number;
  /** Events that become visible on each DescribeExecution: the execution moves as it is polled. */
  revealPerPoll: number;
  output?: string;
  error?: string;
  cause?: string;
  stopped?: boolean;
}

/**
 * A local HTTP server speaking the Step Functions JSON protocol (awsJson1_0, `X-Amz-Target: AWSStepFunctions.*`) for
 * the calls the CLI makes, so tests run the real SDK: serialisation, retries, pagination and error parsing.
 */
export class FakeStepFunctions extends AwsJsonFake {
  readonly executions = new Map<string, FakeExecution>();
  historyPageSize = 3;
  private readonly planned = new Map<string, { history: HistoryEventJson[]; revealPerPoll: number }>();

  constructor(readonly stateMachineArn = "arn:aws:states:eu-west-1:123456789012:stateMachine:qi-dev-pipeline") {
    super("AWSStepFunctions", "application/x-amz-json-1.0", (type) => `com.amazonaws.swf.service.v2.model#${type}`);
  }

  addExecution(name: string, history: HistoryEventJson[], revealPerPoll = history.length): FakeExecution {
    const execution: FakeExecution = {
      executionArn: `${this.stateMachineArn.replace(":stateMachine:", ":execution:")}:${name}`,
      stateMachineArn: this.stateMachineArn,
      name,
      input: "{}",
      startDate: history[0]?.timestamp ?? Date.now() / 1000,
      history,
      revealed: Math.min(history.length, revealPerPoll),
      revealPerPoll,
    };
    this.executions.set(execution.executionArn, execution);
    return execution;
  }

  private status(execution: FakeExecution): string {
    if (execution.stopped) return "ABORTED";
    const last = execution.history[execution.revealed - 1]?.type;
    if (last === "ExecutionSucceeded") return "SUCCEEDED";
    if (last === "ExecutionFailed") return "FAILED";
    return "RUNNING";
  }

  private find(body: Record<string, unknown>): FakeExecution {
    const execution = this.executions.get(String(body.executionArn));
    if (!execution)
      throw { type: "ExecutionDoesNotExist", message: `Execution Does Not Exist: '${body.executionArn}'` };
    return execution;
  }

  protected readonly handlers: Record<string, Handler> = {
    StartExecution: (body) => {
      if (body.stateMachineArn !== this.stateMachineArn) {
        throw { type: "StateMachineDoesNotExist", message: `State Machine Does Not Exist: '${body.stateMachineArn}'` };
      }
      const arn = `${this.stateMachineArn.replace(":stateMachine:", ":execution:")}:${body.name}`;
      if (this.executions.has(arn))
        throw { type: "ExecutionAlreadyExists", message: `Execution Already Exists: '${arn}'` };
      const planned = this.planned.get(String(body.name));
      const execution = this.addExecution(String(body.name), planned?.history ?? [], planned?.revealPerPoll ?? 1);
      execution.input = String(body.input);
      return { executionArn: execution.executionArn, startDate: execution.startDate };
    },
    DescribeExecution: (body) => {
      const execution = this.find(body);
      const status = this.status(execution);
      const response = {
        executionArn: execution.executionArn,
        stateMachineArn: execution.stateMachineArn,
        name: execution.name,
        status,
        startDate: execution.startDate,
        stopDate: status === "RUNNING" ? undefined : execution.history[execution.revealed - 1]?.timestamp,
        input: execution.input,
        output: status === "SUCCEEDED" ? (execution.output ?? "{}") : undefined,
        error: status === "FAILED" ? execution.error : undefined,
        cause: status === "FAILED" ? execution.cause : undefined,
      };
      execution.revealed = Math.min(execution.history.length, execution.revealed + execution.revealPerPoll);
      return response;
    },
    GetExecutionHistory: (body) => {
      const execution = this.find(body);
      const from = body.nextToken ? Number(body.nextToken) : 0;
      const size = Math.min(Number(body.maxResults ?? 1000), this.historyPageSize);
      const to = Math.min(from + size, execution.revealed);
      return {
        events: execution.history.slice(from, to),
        nextToken: to < execution.revealed ? String(to) : undefined,
      };
    },
    ListExecutions: (body) => {
      if (body.stateMachineArn !== this.stateMachineArn) {
        throw { type: "StateMachineDoesNotExist", message: `State Machine Does Not Exist: '${body.stateMachineArn}'` };
      }
      const all = [...this.executions.values()]
        .filter((e) => !body.statusFilter || this.status(e) === body.statusFilter)
        .sort((a, b) => b.startDate - a.startDate);
      const from = body.nextToken ? Number(body.nextToken) : 0;
      const to = Math.min(all.length, from + Number(body.maxResults ?? 100));
      return {
        executions: all.slice(from, to).map((e) => ({
          executionArn: e.executionArn,
          stateMachineArn: e.stateMachineArn,
          name: e.name,
          status: this.status(e),
          startDate: e.startDate,
        })),
        nextToken: to < all.length ? String(to) : undefined,
      };
    },
    StopExecution: (body) => {
      const execution = this.find(body);
      execution.stopped = true;
      return { stopDate: execution.startDate + 60 };
    },
  };

  /** An execution StartExecution will create with this scripted history. */
  plan(name: string, history: HistoryEventJson[], revealPerPoll: number): void {
    this.planned.set(name, { history, revealPerPoll });
  }
}
