import { componentArtifactKey, componentNames, INFERENCE_RECIPE_FILE } from "../../contracts/modelComponent";
import { NEO_TARGET_DEVICES } from "../../config/neoTargets";
import { parseStackConfig, StackConfig } from "../../config/schema";
import type { StateMachineDefinition } from "../../stateMachines/asl";
import { DefinitionResources, definitionSettingsOf, pipelineDefinitionArgs } from "../../stateMachines/definitionArgs";
import { PIPELINE_FUNCTIONS } from "../../stateMachines/functions";
import { buildPipelineDefinition } from "../../stateMachines/qualityInspection";
import { ACCOUNT_ID, readStack } from "./pulumiProgram";

/**
 * Every state machine definition the config allows, from the repository's stacks: each stack file as it is, then
 * with each Ground Truth workforce kind, verification on and off, the labeling app, and every compilation target (onnx and each Neo device).
 * Resources carry ARNs as AWS forms them, so the request checks see real-looking values.
 */
export interface DefinitionVariant {
  label: string;
  config: StackConfig;
  definition: StateMachineDefinition;
}

/** Ground Truth's workforces; the labeling app (`none`) is its own variant, without verification. */
const WORKFORCES: Record<Exclude<StackConfig["labeling"]["workforce"]["kind"], "none">, Record<string, string>> = {
  existing: {
    "qualityinspection:labeling.workteamArn": `arn:aws:sagemaker:eu-west-1:${ACCOUNT_ID}:workteam/private-crowd/line-team`,
    "qualityinspection:labeling.createPrivateWorkforce": "false",
    "qualityinspection:labeling.allowPublicWorkforce": "false",
  },
  create: {
    "qualityinspection:labeling.workteamArn": "",
    "qualityinspection:labeling.createPrivateWorkforce": "true",
    "qualityinspection:labeling.allowPublicWorkforce": "false",
  },
  public: {
    "qualityinspection:labeling.workteamArn": "",
    "qualityinspection:labeling.createPrivateWorkforce": "false",
    "qualityinspection:labeling.allowPublicWorkforce": "true",
  },
};

/** The names and ARNs `pulumi up` would hand the definition, for one stack config. */
export function awsResourcesFor(config: StackConfig): DefinitionResources {
  const { namePrefix, region } = config;
  const arn = (service: string, resource: string) => `arn:aws:${service}:${region}:${ACCOUNT_ID}:${resource}`;
  const inference = componentNames(namePrefix).inference;
  const workforce = config.labeling.workforce;
  return {
    bucketName: `${namePrefix}-data-lake-0a1b2c3d`,
    functions: Object.fromEntries(
      Object.keys(PIPELINE_FUNCTIONS).map((fn) => [fn, arn("lambda", `function:${namePrefix}-${fn}`)]),
    ) as DefinitionResources["functions"],
    alertsTopicArn: arn("sns", `${namePrefix}-alerts`),
    sagemakerRole: `arn:aws:iam::${ACCOUNT_ID}:role/${namePrefix}-sagemaker-execution`,
    labelingRole: `arn:aws:iam::${ACCOUNT_ID}:role/${namePrefix}-labeling`,
    workteam:
      workforce.kind === "public"
        ? "public"
        : workforce.kind === "existing"
          ? workforce.workteamArn
          : arn("sagemaker", `workteam/private-crowd/${namePrefix}-labelers`),
    modelPackageGroupName: config.registry.modelPackageGroupName,
    thingGroupArn: arn("iot", `thinggroup/${config.edge.thingGroupName}`),
    codeKey: "code/training-0123456789abcdef.tar.gz",
    inferenceVersion: "1.0.4242",
    inferenceRecipeKey: componentArtifactKey(inference, "1.0.4242", INFERENCE_RECIPE_FILE),
  };
}

/** The definition `pulumi up` builds for one stack config (the same mapping the pipeline component makes). */
export function definitionFor(config: StackConfig): StateMachineDefinition {
  return buildPipelineDefinition(pipelineDefinitionArgs(definitionSettingsOf(config), awsResourcesFor(config)));
}

export const STACKS = ["dev", "prod"] as const;

export function definitionVariants(): DefinitionVariant[] {
  const variants: DefinitionVariant[] = [];
  for (const stack of STACKS) {
    const base = readStack(stack);
    const add = (label: string, raw: Record<string, string>) => {
      const config = parseStackConfig(raw, stack);
      variants.push({ label: `${stack}: ${label}`, config, definition: definitionFor(config) });
    };
    add("as configured", base);
    for (const [kind, keys] of Object.entries(WORKFORCES)) {
      for (const verification of ["true", "false"]) {
        add(`${kind} workforce, verification ${verification}`, {
          ...base,
          ...keys,
          "qualityinspection:labeling.verification": verification,
        });
      }
    }
    add("labeling app (builtin provider)", {
      ...base,
      "qualityinspection:labeling.provider": "builtin",
      "qualityinspection:labeling.workteamArn": "",
      "qualityinspection:labeling.createPrivateWorkforce": "false",
      "qualityinspection:labeling.allowPublicWorkforce": "false",
      "qualityinspection:labeling.verification": "false",
    });
    add("training on 2 instances", { ...base, "qualityinspection:training.instanceCount": "2" });
    for (const target of ["onnx", ...NEO_TARGET_DEVICES]) {
      add(`compilation target ${target}`, { ...base, "qualityinspection:compilation.target": target });
    }
  }
  return variants;
}

/** JSONPaths of the run's state whose value is fixed by the stack config (start.ts copies them into `$.run`). */
export function configConstants(config: StackConfig): Record<string, string> {
  return { "$.run.compilationTarget": config.compilation.target };
}

/**
 * The states a run can reach: from StartAt along every Next, Default, Choice and Catch, except Choice rules that
 * test a config constant and cannot match it (an onnx stack never starts a Neo job, so that Task is not checked
 * against the Neo target enum there).
 */
export function reachableStates(definition: StateMachineDefinition, constants: Record<string, string>): Set<string> {
  const seen = new Set<string>();
  const visit = (name: string | undefined) => {
    if (!name || seen.has(name)) return;
    seen.add(name);
    const state = definition.States[name] as unknown as Record<string, unknown>;
    const rules = (state.Choices ?? []) as { Variable?: string; StringEquals?: string; Next: string }[];
    for (const rule of rules) {
      const fixed = rule.Variable !== undefined ? constants[rule.Variable] : undefined;
      if (fixed !== undefined && rule.StringEquals !== undefined && rule.StringEquals !== fixed) continue;
      visit(rule.Next);
    }
    // The Default is taken unless a rule on a constant always matches.
    const decided = rules.some(
      (r) => r.Variable !== undefined && r.Variable in constants && constants[r.Variable] === r.StringEquals,
    );
    if (!decided) visit(state.Default as string | undefined);
    for (const catcher of (state.Catch ?? []) as { Next: string }[]) visit(catcher.Next);
    visit(state.Next as string | undefined);
  };
  visit(definition.StartAt);
  return seen;
}
