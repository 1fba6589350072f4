import * as aws from "@pulumi/aws";
import { expect } from "chai";
import { commonTags, parseStackConfig } from "../../config/schema";
import { ProgramRun, readStack, runProgram, runStack } from "../harness/pulumiProgram";

const PROVIDER_TYPE = "pulumi:providers:aws";

/**
 * Everything in a program run that would escape the common tags: AWS resources, data sources and remote components
 * (awsx) that do not go through the one explicit AWS provider, and resources whose own tags contradict the common ones.
 */
function tagProblems(run: ProgramRun<unknown>, tags: Record<string, string>): string[] {
  const providers = run.ofType(PROVIDER_TYPE);
  if (providers.length !== 1) return [`expected one explicit AWS provider, found ${providers.length}`];
  const [provider] = providers;
  const problems: string[] = [];
  const defaultTags = provider.inputs.defaultTags;
  // Provider inputs reach the engine as JSON text.
  const configured = (typeof defaultTags === "string" ? JSON.parse(defaultTags) : defaultTags) as
    { tags?: Record<string, string> } | undefined;
  if (JSON.stringify(configured?.tags) !== JSON.stringify(tags)) {
    problems.push(`the provider's default tags are ${JSON.stringify(configured?.tags)}, not ${JSON.stringify(tags)}`);
  }
  const ref = `::${PROVIDER_TYPE}::${provider.name}::${provider.name}-id`;
  const usesProvider = (reference: string | undefined) => Boolean(reference?.endsWith(ref));
  for (const resource of run.resources) {
    const what = `${resource.type} ${resource.name}`;
    if (resource.custom && resource.type.startsWith("aws:") && !usesProvider(resource.provider)) {
      problems.push(`${what} is managed by ${resource.provider || "the default provider"}`);
    }
    if (resource.type.startsWith("awsx:") && !usesProvider(resource.providers?.aws)) {
      problems.push(`${what} (a remote component) is not handed the AWS provider`);
    }
    const own = resource.inputs.tags as Record<string, string> | undefined;
    for (const [key, value] of Object.entries(tags)) {
      if (own && key in own && own[key] !== value) problems.push(`${what} overrides tag ${key} with ${own[key]}`);
    }
  }
  for (const call of run.calls) {
    if (call.token.startsWith("aws:") && !usesProvider(call.provider)) {
      problems.push(`data source ${call.token} goes through ${call.provider || "the default provider"}`);
    }
  }
  return problems;
}

describe("common tags", () => {
  for (const stack of ["dev", "prod"]) {
    it(`reach every AWS resource, data source and remote component of the ${stack} stack through one provider`, async () => {
      const run = await runStack(stack);
      const config = parseStackConfig(readStack(stack), stack);
      expect(config.tags).to.deep.equal({ project: "qualityinspection", stack });
      expect(tagProblems(run, config.tags)).to.deep.equal([]);
      expect(run.one(PROVIDER_TYPE).inputs.region).to.equal(config.region);
      // The check above covers these, so they must be there to be covered.
      expect(run.resources.filter((r) => r.custom && r.type.startsWith("aws:")).length).to.be.greaterThan(50);
      expect(run.calls.map((c) => c.token)).to.include("aws:index/getCallerIdentity:getCallerIdentity");
    });
  }

  it("are checked by a check that notices resources and data sources outside the provider", async () => {
    const tags = commonTags("dev");
    const run = await runProgram("dev", () => {
      const provider = new aws.Provider("aws", { region: "eu-west-1", defaultTags: { tags } });
      new aws.s3.Bucket("tagged", {}, { provider });
      new aws.s3.Bucket("untagged", {});
      new aws.sns.Topic("contradicting", { tags: { stack: "prod" } }, { provider });
      aws.getCallerIdentityOutput();
    });
    expect(tagProblems(run, tags)).to.deep.equal([
      "aws:s3/bucket:Bucket untagged is managed by the default provider",
      "aws:sns/topic:Topic contradicting overrides tag stack with prod",
      "data source aws:index/getCallerIdentity:getCallerIdentity goes through the default provider",
    ]);
  });
});
