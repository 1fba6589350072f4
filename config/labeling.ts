/**
 * The labeling keys' rules that involve more than one key: who labels (the labeling app or Ground Truth), which
 * Ground Truth workforce, and the app's batch limits. Each key is parsed on its own first (`parse` returns zod's
 * safeParse result for a fully qualified key); a key that is invalid on its own is reported there, not here.
 */

type Parse = (key: string) => { success: boolean; data?: unknown };

const WORKFORCE_KEYS = [
  "qualityinspection:labeling.workteamArn",
  "qualityinspection:labeling.createPrivateWorkforce",
  "qualityinspection:labeling.allowPublicWorkforce",
] as const;

export function labelingProblems(parse: Parse): string[] {
  return [...workforceProblems(parse), ...builtinProblems(parse)];
}

/** Ground Truth needs exactly one workforce; the labeling app needs none. */
function workforceProblems(parse: Parse): string[] {
  const [arn, create, allowPublic] = WORKFORCE_KEYS.map(parse);
  const provider = parse("qualityinspection:labeling.provider");
  if (!arn.success || !create.success || !allowPublic.success || !provider.success) return [];
  const chosen = [arn.data !== "", create.data, allowPublic.data].filter(Boolean).length;
  if (provider.data === "builtin") {
    if (chosen === 0) return [];
    return [
      `${WORKFORCE_KEYS.join(", ")} choose a Ground Truth workforce: set them only with labeling.provider=groundtruth`,
    ];
  }
  if (chosen === 1) return [];
  return [
    `exactly one of ${WORKFORCE_KEYS.join(", ")} must choose the labeling workforce ` +
      `(a workteam ARN, createPrivateWorkforce=true, or allowPublicWorkforce=true); ${chosen} do`,
  ];
}

/** The labeling app has no verification job, and its batch must be able to see a heartbeat before it times out. */
function builtinProblems(parse: Parse): string[] {
  const provider = parse("qualityinspection:labeling.provider");
  const verification = parse("qualityinspection:labeling.verification");
  const heartbeat = parse("qualityinspection:labeling.heartbeatSeconds");
  const timeout = parse("qualityinspection:labeling.timeoutSeconds");
  const problems: string[] = [];
  if (provider.success && provider.data === "builtin" && verification.success && verification.data === true) {
    problems.push(
      "qualityinspection:labeling.verification=true needs labeling.provider=groundtruth (a Ground Truth verification job)",
    );
  }
  if (heartbeat.success && timeout.success && Number(heartbeat.data) > Number(timeout.data)) {
    problems.push(
      `qualityinspection:labeling.heartbeatSeconds must be at most labeling.timeoutSeconds (${String(timeout.data)})`,
    );
  }
  return problems;
}
