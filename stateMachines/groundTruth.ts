/**
 * Ground Truth's built-in bounding-box task runs AWS-owned pre-annotation (PRE) and consolidation (ACS) Lambdas, one
 * account per region (SageMaker API reference, HumanTaskConfig). A region missing here has no Ground Truth.
 */
const GROUND_TRUTH_ACCOUNTS: Record<string, string> = {
  "us-east-1": "432418664414",
  "us-east-2": "266458841044",
  "us-west-2": "081040173940",
  "ca-central-1": "918755190332",
  "eu-west-1": "568282634449",
  "eu-west-2": "487402164563",
  "eu-central-1": "203001061592",
  "ap-northeast-1": "477331159723",
  "ap-northeast-2": "845288260483",
  "ap-south-1": "565803892007",
  "ap-southeast-1": "377565633583",
  "ap-southeast-2": "454466003867",
};

/** The Mechanical Turk workteam, the same account in every region. */
const PUBLIC_WORKTEAM_ACCOUNT = "394669845002";

export type GroundTruthTask = "BoundingBox" | "VerificationBoundingBox";

export const groundTruthRegions = (): string[] => Object.keys(GROUND_TRUTH_ACCOUNTS);

function accountFor(region: string): string {
  const account = GROUND_TRUTH_ACCOUNTS[region];
  if (!account) {
    throw new Error(
      `[aws:region] ${region} has no SageMaker Ground Truth; labeling works in ${groundTruthRegions().join(", ")}`,
    );
  }
  return account;
}

export function groundTruthLambdas(region: string, task: GroundTruthTask) {
  const account = accountFor(region);
  return {
    preHumanTask: `arn:aws:lambda:${region}:${account}:function:PRE-${task}`,
    annotationConsolidation: `arn:aws:lambda:${region}:${account}:function:ACS-${task}`,
  };
}

export function publicWorkteamArn(region: string): string {
  accountFor(region);
  return `arn:aws:sagemaker:${region}:${PUBLIC_WORKTEAM_ACCOUNT}:workteam/public-crowd/default`;
}
