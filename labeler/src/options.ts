import os from "node:os";
import { statSync } from "node:fs";
import { z } from "zod";
import { fieldProblem, FieldProblems, FlagField, flagField as field, flagName } from "../../lib/fields";
import { numberFrom } from "../../lib/fieldValues";

/** The labeling app's command line: one table of fields, each problem naming its flag and the form it expects. */
export const labelerFields = {
  bucket: field({
    flag: "--bucket <name>",
    description: "the stack's data lake bucket (pulumi stack output dataLakeBucket)",
    must: "be an S3 bucket name (3 to 63 lowercase letters, digits, dots and dashes)",
    schema: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/),
  }),
  job: field({
    flag: "--job <name>",
    description: "the labeling job the run waits for (npm run pipeline -- status names it)",
    must: "be a labeling job name (letters, digits and single dashes, at most 63)",
    schema: z.string().regex(/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/),
  }),
  model: field({
    flag: "--model <path>",
    description: "model folder or .onnx whose detections are pre-drawn (without it, boxes are drawn by hand)",
    must: "be an existing model folder or .onnx file",
    schema: z.string().refine((p) => statSync(p, { throwIfNoEntry: false }) !== undefined),
  }),
  labeler: field({
    flag: "--labeler <name>",
    description: "your name, as claims and the output record it",
    must: "be 1 to 64 letters, digits or . _ @ + -",
    schema: z.string().regex(/^[\w.@+-]{1,64}$/),
    fallback:
      os
        .userInfo()
        .username.replace(/[^\w.@+-]/g, "-")
        .slice(0, 64) || "labeler",
  }),
  claimMinutes: field({
    flag: "--claim-minutes <n>",
    description: "how long an image you opened stays yours",
    must: "be a whole number of minutes from 1 to 1440",
    schema: numberFrom(1, 1440, true),
    fallback: 15,
  }),
  port: field({
    flag: "--port <n>",
    description: "HTTP port of the page (0: any free port)",
    must: "be a whole number from 0 to 65535",
    schema: numberFrom(0, 65535, true),
    fallback: 8090,
  }),
  region: field({
    flag: "--region <region>",
    description: "the stack's region (default AWS_REGION)",
    must: "be an AWS region such as eu-west-1",
    schema: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/),
  }),
};
export type LabelerField = keyof typeof labelerFields;

export interface LabelerOptions {
  bucket: string;
  job: string;
  model?: string;
  labeler: string;
  claimMinutes: number;
  port: number;
  region?: string;
}

export class LabelerOptionsError extends FieldProblems {
  constructor(problems: string[]) {
    super("labeler options", problems);
    this.name = "LabelerOptionsError";
  }
}

const REQUIRED: LabelerField[] = ["bucket", "job"];

/** Validates the flags (by field name); every problem at once. */
export function parseLabelerOptions(input: Partial<Record<LabelerField, unknown>>): LabelerOptions {
  const problems: string[] = [];
  const values: Partial<Record<LabelerField, unknown>> = {};
  for (const name of Object.keys(labelerFields) as LabelerField[]) {
    const f: FlagField = labelerFields[name];
    const raw = input[name] ?? f.fallback;
    if (raw === undefined) {
      if (REQUIRED.includes(name)) problems.push(`${flagName(f)} is required and must ${f.must}`);
      continue;
    }
    const parsed = f.schema.safeParse(raw);
    if (parsed.success) values[name] = parsed.data;
    else problems.push(fieldProblem(flagName(f), f, String(raw)));
  }
  if (problems.length > 0) throw new LabelerOptionsError(problems);
  return values as unknown as LabelerOptions;
}
