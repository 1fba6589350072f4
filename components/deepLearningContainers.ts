/**
 * AWS publishes its Deep Learning Containers (the SageMaker PyTorch training images) from one account per region;
 * most regions share 763104351884. Source: the SageMaker Python SDK's image URI tables.
 */
const DLC_ACCOUNT_BY_REGION: Record<string, string> = {
  "af-south-1": "626614931356",
  "ap-east-1": "871362719292",
  "ap-south-2": "772153158452",
  "ap-southeast-3": "907027046896",
  "ap-southeast-4": "457447274322",
  "ca-west-1": "204538143572",
  "cn-north-1": "727897471807",
  "cn-northwest-1": "727897471807",
  "eu-central-2": "380420809688",
  "eu-south-1": "692866216735",
  "eu-south-2": "503227376785",
  "il-central-1": "780543022126",
  "me-central-1": "914824155844",
  "me-south-1": "217643126080",
  "us-gov-east-1": "446045086412",
  "us-gov-west-1": "442386744353",
};
const DEFAULT_DLC_ACCOUNT = "763104351884";

export function deepLearningContainersAccount(region: string): string {
  return DLC_ACCOUNT_BY_REGION[region] ?? DEFAULT_DLC_ACCOUNT;
}

/** The ARN partition of a region: China and GovCloud regions live in their own partitions. */
export function partitionOf(region: string): string {
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  return "aws";
}

export const PYTORCH_TRAINING_REPOSITORY = "pytorch-training";
