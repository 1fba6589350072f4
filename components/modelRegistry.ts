import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface ModelRegistryArgs {
  modelPackageGroupName: string;
}

/** The SageMaker model package group every trained scratch detector is registered in, with its metrics. */
export class ModelRegistry extends pulumi.ComponentResource {
  public readonly modelPackageGroupName: pulumi.Output<string>;
  public readonly modelPackageGroupArn: pulumi.Output<string>;

  constructor(name: string, args: ModelRegistryArgs, opts?: pulumi.ComponentResourceOptions) {
    super("qualityinspection:models:ModelRegistry", name, {}, opts);

    const group = new aws.sagemaker.ModelPackageGroup(
      `${name}-group`,
      {
        modelPackageGroupName: args.modelPackageGroupName,
        modelPackageGroupDescription: "Scratch detectors trained by the quality-inspection pipeline",
      },
      { parent: this },
    );

    this.modelPackageGroupName = group.modelPackageGroupName;
    this.modelPackageGroupArn = group.arn;
    this.registerOutputs({
      modelPackageGroupName: this.modelPackageGroupName,
      modelPackageGroupArn: this.modelPackageGroupArn,
    });
  }
}
