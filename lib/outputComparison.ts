/** One output tensor of a model run, reduced to what a comparison needs. */
export interface OutputTensor {
  dims: readonly number[];
  data: ArrayLike<number | bigint>;
}

export interface Tolerance {
  absolute: number;
  relative: number;
}

export interface Comparison {
  equal: boolean;
  /** Largest |original - optimised| over all outputs. */
  maxAbsDiff: number;
  /** Why the outputs differ, for the failure message. */
  problems: string[];
}

/**
 * Compares two runs output by output: same names, same shapes (for detection outputs: the same number of
 * detections), and every value within `absolute + relative * |original|`.
 */
export function compareOutputs(
  original: Record<string, OutputTensor>,
  optimised: Record<string, OutputTensor>,
  tolerance: Tolerance,
): Comparison {
  const problems: string[] = [];
  let maxAbsDiff = 0;
  for (const [name, expected] of Object.entries(original)) {
    const actual = optimised[name];
    if (!actual) {
      problems.push(`output ${name} is missing`);
      continue;
    }
    if (expected.dims.join("x") !== actual.dims.join("x")) {
      problems.push(`output ${name} has shape [${actual.dims.join(", ")}] instead of [${expected.dims.join(", ")}]`);
      continue;
    }
    let worst = 0;
    let failing = 0;
    for (let i = 0; i < expected.data.length; i++) {
      const a = Number(expected.data[i]);
      const b = Number(actual.data[i]);
      const diff = Math.abs(a - b);
      if (!(diff <= tolerance.absolute + tolerance.relative * Math.abs(a))) failing += 1;
      if (diff > worst || Number.isNaN(diff)) worst = Number.isNaN(diff) ? Infinity : diff;
    }
    maxAbsDiff = Math.max(maxAbsDiff, worst);
    if (failing > 0)
      problems.push(`output ${name}: ${failing} of ${expected.data.length} values differ (max ${worst})`);
  }
  for (const name of Object.keys(optimised)) if (!(name in original)) problems.push(`unexpected output ${name}`);
  return { equal: problems.length === 0, maxAbsDiff, problems };
}
