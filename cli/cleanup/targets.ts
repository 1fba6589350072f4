import type { StackConfig } from "../../config/schema";
import { componentNames } from "../../contracts/modelComponent";
import { jobNamePattern } from "../../lib/runNames";
import type { JobKind } from "../ports";

// What counts as one stack's run-time resources is decided here, by pure functions of names and tags; cleanup's
// AWS calls follow them.

/** How cleanup recognises one stack's resources: names from its config, plus what its outputs add once deployed. */
export interface StackTargets {
  stack: string;
  region: string;
  namePrefix: string;
  /** The stack's common tags: a job tagged for another stack or project is never touched, whatever its name. */
  tags: Record<string, string>;
  modelPackageGroupName: string;
  thingGroupName: string;
  componentNames: string[];
  coreDevices: string[];
  /** Only while the stack is deployed (stack outputs). */
  stateMachineArn?: string;
  bucketName?: string;
  allowDeleteData: boolean;
}

export function stackTargets(config: StackConfig, outputs: Record<string, unknown>): StackTargets {
  const names = componentNames(config.namePrefix);
  const deployedDevices = Array.isArray(outputs.coreDeviceThingNames) ? outputs.coreDeviceThingNames.map(String) : [];
  const text = (value: unknown) => (typeof value === "string" && value ? value : undefined);
  return {
    stack: config.stack,
    region: config.region,
    namePrefix: config.namePrefix,
    tags: config.tags,
    modelPackageGroupName: config.registry.modelPackageGroupName,
    thingGroupName: config.edge.thingGroupName,
    componentNames: [names.inference, names.model],
    // A device dropped from the config since the last `pulumi up` may still have a core device record.
    coreDevices: [...new Set([...config.edge.coreDevices, ...deployedDevices])],
    stateMachineArn: text(outputs.stateMachineArn),
    bucketName: text(outputs.bucketName),
    allowDeleteData: config.dataLake.allowDeleteData,
  };
}

const JOB_PATTERNS: Record<JobKind, (namePrefix: string) => RegExp[]> = {
  "labeling-job": (p) => [jobNamePattern(p, "labelingJob"), jobNamePattern(p, "verificationJob")],
  "training-job": (p) => [jobNamePattern(p, "trainingJob")],
  "compilation-job": (p) => [jobNamePattern(p, "compilationJob")],
};
const RUNNING: Record<JobKind, string[]> = {
  "labeling-job": ["InProgress"],
  "training-job": ["InProgress"],
  "compilation-job": ["STARTING", "INPROGRESS"],
};

/** A job named the way StartRun names this stack's jobs (and so not `qi-dev2-…` for stack dev). */
export function isStackJobName(targets: StackTargets, kind: JobKind, name: string): boolean {
  return JOB_PATTERNS[kind](targets.namePrefix).some((pattern) => pattern.test(name));
}

export function isRunningJob(kind: JobKind, status: string | undefined): boolean {
  return RUNNING[kind].includes(status ?? "");
}

/**
 * Names can collide (stack `dev-train`'s jobs start like stack `dev`'s training jobs); tags cannot. A job whose
 * project or stack tag names someone else is not ours. Untagged jobs (created before runs tagged them) go by name.
 */
export function tagsAllow(targets: StackTargets, tags: Record<string, string>): boolean {
  return Object.entries(targets.tags).every(([key, value]) => !Object.hasOwn(tags, key) || tags[key] === value);
}

/** A deployment to this stack's thing group, in any region or account the credentials reach. */
export function isFleetDeployment(targets: StackTargets, targetArn: string | undefined): boolean {
  const match = /^arn:aws[a-z-]*:iot:[a-z0-9-]+:\d{12}:thinggroup\/(.+)$/.exec(targetArn ?? "");
  return match?.[1] === targets.thingGroupName;
}

export function isStackComponent(targets: StackTargets, componentName: string | undefined): boolean {
  return targets.componentNames.includes(componentName ?? "");
}

/** A package of the stack's model package group, by group name and by ARN. */
export function isStackModelPackage(targets: StackTargets, summary: { group?: string; arn?: string }): boolean {
  const group = targets.modelPackageGroupName;
  return summary.group === group && Boolean(summary.arn?.includes(`:model-package/${group}/`));
}
