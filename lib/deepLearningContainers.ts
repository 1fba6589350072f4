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

/**
 * The PyTorch version of the SageMaker training image, in one place. train.py runs on torch 1.13 locally and on this
 * torch 2.x in SageMaker; the framework container installs training/requirements.txt on top.
 */
export const PYTORCH_TRAINING_VERSION = "2.5.1";
export const PYTORCH_PYTHON_VERSION = "py311";

/** GPU instance families (ml.g4dn, ml.g5, ml.p3, …) get the CUDA build of the image; every other family the CPU one. */
export function isGpuInstance(instanceType: string): boolean {
  const family = instanceType.split(".")[1] ?? "";
  return /^[gp]\d/.test(family);
}

/** URI of the SageMaker PyTorch training image for a region and instance type. */
export function pytorchTrainingImage(region: string, instanceType: string): string {
  const domain = partitionOf(region) === "aws-cn" ? "amazonaws.com.cn" : "amazonaws.com";
  const processor = isGpuInstance(instanceType) ? "gpu" : "cpu";
  return `${deepLearningContainersAccount(region)}.dkr.ecr.${region}.${domain}/${PYTORCH_TRAINING_REPOSITORY}:${PYTORCH_TRAINING_VERSION}-${processor}-${PYTORCH_PYTHON_VERSION}`;
}
