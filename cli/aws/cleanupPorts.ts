import {
  CancelDeploymentCommand,
  DeleteComponentCommand,
  DeleteCoreDeviceCommand,
  DeleteDeploymentCommand,
  GetCoreDeviceCommand,
  GreengrassV2Client,
  ListComponentsCommand,
  ListComponentVersionsCommand,
  ListDeploymentsCommand,
} from "@aws-sdk/client-greengrassv2";
import { DeleteObjectsCommand, ListObjectVersionsCommand, S3Client } from "@aws-sdk/client-s3";
import {
  DeleteModelPackageCommand,
  ListCompilationJobsCommand,
  ListLabelingJobsCommand,
  ListModelPackagesCommand,
  ListTagsCommand,
  ListTrainingJobsCommand,
  SageMakerClient,
  StopCompilationJobCommand,
  StopLabelingJobCommand,
  StopTrainingJobCommand,
} from "@aws-sdk/client-sagemaker";
import { ListExecutionsCommand, SFNClient, StopExecutionCommand } from "@aws-sdk/client-sfn";
import { isGone } from "../cleanup/serviceCalls";
import type {
  CleanupPorts,
  Components,
  CoreDevices,
  Deployments,
  JobKind,
  JobSummary,
  ModelPackages,
  ObjectVersions,
  Page,
  SageMakerJobs,
  StateMachineExecutions,
} from "../ports";

// Cleanup's ports (cli/ports.ts) on the AWS SDK: one request each, errors passed on as the SDK throws them.

export interface CleanupClients {
  sfn: SFNClient;
  sagemaker: SageMakerClient;
  greengrass: GreengrassV2Client;
  s3: S3Client;
}

export function awsCleanupPorts(clients: CleanupClients): CleanupPorts {
  return {
    executions: stepFunctionsExecutions(clients.sfn),
    jobs: sageMakerJobs(clients.sagemaker),
    modelPackages: sageMakerModelPackages(clients.sagemaker),
    deployments: greengrassDeployments(clients.greengrass),
    components: greengrassComponents(clients.greengrass),
    coreDevices: greengrassCoreDevices(clients.greengrass),
    objectVersions: s3ObjectVersions(clients.s3),
  };
}

function stepFunctionsExecutions(sfn: SFNClient): StateMachineExecutions {
  return {
    async listRunning(stateMachineArn, nextToken) {
      const page = await sfn.send(new ListExecutionsCommand({ stateMachineArn, statusFilter: "RUNNING", nextToken }));
      return {
        items: (page.executions ?? []).map((e) => ({ arn: e.executionArn!, name: e.name! })),
        nextToken: page.nextToken,
      };
    },
    async stop(executionArn, { error, cause }) {
      await sfn.send(new StopExecutionCommand({ executionArn, error, cause }));
    },
  };
}

function sageMakerJobs(sagemaker: SageMakerClient): SageMakerJobs {
  // Labeling and training jobs are asked for in progress only; compilation jobs run in two statuses, so all come.
  const lists: Record<JobKind, (NameContains: string, NextToken?: string) => Promise<Page<JobSummary>>> = {
    "labeling-job": async (NameContains, NextToken) => {
      const page = await sagemaker.send(
        new ListLabelingJobsCommand({ NameContains, StatusEquals: "InProgress", NextToken }),
      );
      return {
        items: (page.LabelingJobSummaryList ?? []).map((j) => ({
          name: j.LabelingJobName!,
          arn: j.LabelingJobArn!,
          status: j.LabelingJobStatus!,
        })),
        nextToken: page.NextToken,
      };
    },
    "training-job": async (NameContains, NextToken) => {
      const page = await sagemaker.send(
        new ListTrainingJobsCommand({ NameContains, StatusEquals: "InProgress", NextToken }),
      );
      return {
        items: (page.TrainingJobSummaries ?? []).map((j) => ({
          name: j.TrainingJobName!,
          arn: j.TrainingJobArn!,
          status: j.TrainingJobStatus!,
        })),
        nextToken: page.NextToken,
      };
    },
    "compilation-job": async (NameContains, NextToken) => {
      const page = await sagemaker.send(new ListCompilationJobsCommand({ NameContains, NextToken }));
      return {
        items: (page.CompilationJobSummaries ?? []).map((j) => ({
          name: j.CompilationJobName!,
          arn: j.CompilationJobArn!,
          status: j.CompilationJobStatus!,
        })),
        nextToken: page.NextToken,
      };
    },
  };
  const stops: Record<JobKind, (name: string) => Promise<unknown>> = {
    "labeling-job": (LabelingJobName) => sagemaker.send(new StopLabelingJobCommand({ LabelingJobName })),
    "training-job": (TrainingJobName) => sagemaker.send(new StopTrainingJobCommand({ TrainingJobName })),
    "compilation-job": (CompilationJobName) => sagemaker.send(new StopCompilationJobCommand({ CompilationJobName })),
  };
  return {
    list: (kind, nameContains, nextToken) => lists[kind](nameContains, nextToken),
    async tags(ResourceArn) {
      const { Tags = [] } = await sagemaker.send(new ListTagsCommand({ ResourceArn }));
      return Object.fromEntries(Tags.map((tag) => [tag.Key!, tag.Value ?? ""]));
    },
    async stop(kind, name) {
      await stops[kind](name);
    },
  };
}

function sageMakerModelPackages(sagemaker: SageMakerClient): ModelPackages {
  return {
    async list(ModelPackageGroupName, NextToken) {
      const page = await sagemaker.send(new ListModelPackagesCommand({ ModelPackageGroupName, NextToken }));
      return {
        items: (page.ModelPackageSummaryList ?? []).map((p) => ({
          arn: p.ModelPackageArn!,
          group: p.ModelPackageGroupName!,
          version: p.ModelPackageVersion,
          approval: p.ModelApprovalStatus,
        })),
        nextToken: page.NextToken,
      };
    },
    async delete(ModelPackageName) {
      await sagemaker.send(new DeleteModelPackageCommand({ ModelPackageName }));
    },
  };
}

function greengrassDeployments(greengrass: GreengrassV2Client): Deployments {
  return {
    async list(nextToken) {
      // Without historyFilter ALL, Greengrass lists only each target's latest revision.
      const page = await greengrass.send(new ListDeploymentsCommand({ historyFilter: "ALL", nextToken }));
      return {
        items: (page.deployments ?? []).map((d) => ({
          id: d.deploymentId!,
          name: d.deploymentName,
          targetArn: d.targetArn,
          status: d.deploymentStatus,
        })),
        nextToken: page.nextToken,
      };
    },
    async cancel(deploymentId) {
      await greengrass.send(new CancelDeploymentCommand({ deploymentId }));
    },
    async delete(deploymentId) {
      await greengrass.send(new DeleteDeploymentCommand({ deploymentId }));
    },
  };
}

function greengrassComponents(greengrass: GreengrassV2Client): Components {
  return {
    async list(nextToken) {
      const page = await greengrass.send(new ListComponentsCommand({ scope: "PRIVATE", nextToken }));
      return {
        items: (page.components ?? []).map((c) => ({ name: c.componentName!, arn: c.arn! })),
        nextToken: page.nextToken,
      };
    },
    async versions(arn, nextToken) {
      const page = await greengrass.send(new ListComponentVersionsCommand({ arn, nextToken }));
      return {
        items: (page.componentVersions ?? []).map((v) => ({ arn: v.arn!, version: v.componentVersion! })),
        nextToken: page.nextToken,
      };
    },
    async deleteVersion(arn) {
      await greengrass.send(new DeleteComponentCommand({ arn }));
    },
  };
}

function greengrassCoreDevices(greengrass: GreengrassV2Client): CoreDevices {
  return {
    async exists(coreDeviceThingName) {
      try {
        await greengrass.send(new GetCoreDeviceCommand({ coreDeviceThingName }));
        return true;
      } catch (error) {
        if (isGone(error)) return false;
        throw error;
      }
    },
    async delete(coreDeviceThingName) {
      await greengrass.send(new DeleteCoreDeviceCommand({ coreDeviceThingName }));
    },
  };
}

function s3ObjectVersions(s3: S3Client): ObjectVersions {
  return {
    async list(Bucket, after) {
      const page = await s3.send(
        new ListObjectVersionsCommand({ Bucket, KeyMarker: after?.key, VersionIdMarker: after?.versionId }),
      );
      const items = [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])].map((v) => ({
        key: v.Key!,
        versionId: v.VersionId,
      }));
      const next =
        page.IsTruncated && page.NextKeyMarker !== undefined
          ? { key: page.NextKeyMarker, versionId: page.NextVersionIdMarker }
          : undefined;
      return { items, next };
    },
    async delete(Bucket, versions) {
      const Objects = versions.map((v) => ({ Key: v.key, VersionId: v.versionId }));
      const { Errors = [] } = await s3.send(new DeleteObjectsCommand({ Bucket, Delete: { Objects, Quiet: true } }));
      return Errors.map((e) => ({ key: e.Key!, code: e.Code, message: e.Message }));
    },
  };
}
