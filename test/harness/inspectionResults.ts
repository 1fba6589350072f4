import type { InferenceResult } from "../../contracts/inferenceMessages";
import { result } from "./viewerMessages";

/** One generated inspection: the message, and the facts a test computes its expected numbers from. */
export interface GeneratedInspection {
  message: InferenceResult;
  device: string;
  failed: boolean;
  topScore: number | null;
}

/**
 * Inspections of several devices over several hours and two model versions, with a repeatable mix of failed parts
 * (a pseudo-random stream from `seed`). Times are `start` plus `i` minutes, so they span hours and days.
 */
export function generateInspections(options: {
  devices: string[];
  perDevice: number;
  start: Date;
  seed?: number;
  stepMinutes?: number;
}): GeneratedInspection[] {
  let state = options.seed ?? 7;
  const next = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
  const step = (options.stepMinutes ?? 7) * 60_000;
  return options.devices.flatMap((device, d) =>
    Array.from({ length: options.perDevice }, (_, i) => {
      const failed = next() < 0.1 + d * 0.15;
      const scores = failed ? [Math.round((0.3 + next() * 0.69) * 1000) / 1000] : [];
      const message: InferenceResult = {
        ...result(
          `part-${d}-${i}.jpg`,
          scores.map((score) => ({ score, box: [10, 10, 40, 20] })),
          { thingName: device, seed: `${device}-${i}` },
        ),
        timestamp: new Date(options.start.getTime() + i * step).toISOString(),
        modelVersion: i < options.perDevice / 2 ? "1.0.6" : "1.0.7",
      };
      return { message, device, failed, topScore: scores[0] ?? null };
    }),
  );
}
