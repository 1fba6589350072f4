import { APIS, Api, ATHENA_MIN_BYTES, ATHENA_PER_BYTE, LAMBDA_GB_SECOND, LAMBDA_REQUEST } from "./prices";

/** What one handler invocation cost, modelled. */
export interface StepFigures {
  /** Seconds: measured compute here plus the modelled wait on AWS. */
  seconds: number;
  calls: Partial<Record<Api, number>>;
  dollars: number;
  /** The heap's growth at its highest, where the step measures it (MB). */
  heapMb?: number;
}

/**
 * Counts the AWS calls a handler makes through the bench's ports and models what they cost: each call waits its
 * latency (divided by how many the caller keeps in flight) plus its bytes at the API's throughput, and is billed at
 * its price. Lambda time is billed at the function's memory.
 */
export class Meter {
  readonly calls: Partial<Record<Api, number>> = {};
  private waitSeconds = 0;
  private dollars = 0;

  call(api: Api, { items = 1, bytes = 0, inFlight = 1 }: { items?: number; bytes?: number; inFlight?: number } = {}) {
    const model = APIS[api];
    this.calls[api] = (this.calls[api] ?? 0) + 1;
    this.waitSeconds += (model.latency + bytes * ("secondsPerByte" in model ? model.secondsPerByte : 0)) / inFlight;
    this.dollars += model.price + items * ("pricePerItem" in model ? model.pricePerItem : 0);
  }

  /** An Athena query that scans `bytes`. */
  query(bytes: number) {
    this.call("athena:Query", { bytes });
    this.dollars += Math.max(bytes, ATHENA_MIN_BYTES) * ATHENA_PER_BYTE;
  }

  /** The figures of an invocation that computed for `computeSeconds` in a function of `memoryMb`. */
  figures(computeSeconds: number, memoryMb: number): StepFigures {
    const seconds = computeSeconds + this.waitSeconds;
    const lambda = (seconds * memoryMb * LAMBDA_GB_SECOND) / 1024 + LAMBDA_REQUEST;
    return { seconds, calls: { ...this.calls }, dollars: this.dollars + lambda };
  }
}
