import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import * as path from "node:path";
import { z } from "zod";
import { parseRequest, ServiceError } from "./serviceError";

/** The fields of CreateModelPackage the registry keeps; SageMaker requires each of them for a versioned package. */
const createModelPackageSchema = z.looseObject({
  ModelPackageGroupName: z.string().regex(/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/),
  ModelPackageDescription: z.string().max(1000).optional(),
  ModelApprovalStatus: z.enum(["Approved", "Rejected", "PendingManualApproval"]),
  InferenceSpecification: z.looseObject({
    Containers: z
      .array(z.looseObject({ Image: z.string().min(1), ModelDataUrl: z.string().startsWith("s3://") }))
      .min(1),
  }),
  ModelMetrics: z.unknown().optional(),
  CustomerMetadataProperties: z
    .record(z.string().min(1).max(128), z.string().max(256))
    .refine((m) => Object.keys(m).length <= 50, "at most 50 entries")
    .optional(),
  // SageMaker's limit: 1 to 36 letters, digits and dashes.
  ClientToken: z
    .string()
    .regex(/^[a-zA-Z0-9-]{1,36}$/)
    .optional(),
});

export interface ModelPackage {
  ModelPackageGroupName: string;
  ModelPackageVersion: number;
  ModelPackageArn: string;
  ModelPackageDescription?: string;
  ModelApprovalStatus: string;
  ModelPackageStatus: "Completed";
  CreationTime: string;
  InferenceSpecification: unknown;
  ModelMetrics?: unknown;
  CustomerMetadataProperties?: Record<string, string>;
}

interface RegistryFile {
  packages: ModelPackage[];
  /** ClientToken → package ARN: a retried CreateModelPackage returns the first package. */
  clientTokens: Record<string, string>;
}

/**
 * The SageMaker Model Registry as a JSON file: model package groups with versioned packages, created and described
 * through the same two calls the state machine makes (`createModelPackage`, `describeModelPackage`).
 */
export class LocalModelRegistry {
  constructor(
    readonly file: string,
    private readonly region: string,
    private readonly account: string,
  ) {}

  private async load(): Promise<RegistryFile> {
    try {
      return JSON.parse(await readFile(this.file, "utf8")) as RegistryFile;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return { packages: [], clientTokens: {} };
      throw error;
    }
  }

  private async save(registry: RegistryFile): Promise<void> {
    await mkdir(path.dirname(this.file), { recursive: true });
    const temporary = `${this.file}.tmp`;
    await writeFile(temporary, `${JSON.stringify(registry, null, 2)}\n`);
    await rename(temporary, this.file);
  }

  async createModelPackage(request: unknown): Promise<{ ModelPackageArn: string }> {
    const input = parseRequest(
      createModelPackageSchema,
      request,
      "SageMaker.ValidationException",
      "CreateModelPackage",
    );
    const registry = await this.load();
    const known = input.ClientToken ? registry.clientTokens[input.ClientToken] : undefined;
    if (known) return { ModelPackageArn: known };
    const group = input.ModelPackageGroupName;
    const version = registry.packages.filter((p) => p.ModelPackageGroupName === group).length + 1;
    const arn = `arn:aws:sagemaker:${this.region}:${this.account}:model-package/${group.toLowerCase()}/${version}`;
    registry.packages.push({
      ModelPackageGroupName: group,
      ModelPackageVersion: version,
      ModelPackageArn: arn,
      ModelPackageDescription: input.ModelPackageDescription,
      ModelApprovalStatus: input.ModelApprovalStatus,
      ModelPackageStatus: "Completed",
      CreationTime: new Date().toISOString(),
      InferenceSpecification: input.InferenceSpecification,
      ModelMetrics: input.ModelMetrics,
      CustomerMetadataProperties: input.CustomerMetadataProperties,
    });
    if (input.ClientToken) registry.clientTokens[input.ClientToken] = arn;
    await this.save(registry);
    return { ModelPackageArn: arn };
  }

  async describeModelPackage(request: unknown): Promise<ModelPackage> {
    const name = z.looseObject({ ModelPackageName: z.string().min(1) }).safeParse(request);
    if (!name.success)
      throw new ServiceError("SageMaker.ValidationException", "DescribeModelPackage: ModelPackageName is required");
    const found = (await this.load()).packages.find((p) => p.ModelPackageArn === name.data.ModelPackageName);
    if (!found) {
      throw new ServiceError(
        "SageMaker.ValidationException",
        `ModelPackage ${name.data.ModelPackageName} does not exist.`,
      );
    }
    return found;
  }

  async packages(): Promise<ModelPackage[]> {
    return (await this.load()).packages;
  }
}
