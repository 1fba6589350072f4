import { expect } from "chai";
import { MANAGED_POLICY_ALLOW_LIST, RESOURCE_WILDCARD_ALLOW_LIST } from "../harness/iamAllowList";
import { checkIam, checkPolicyDocument, findPolicyDocuments } from "../harness/iamChecker";
import { RecordedResource, runStack } from "../harness/pulumiProgram";

const rules = {
  resourceWildcardAllowList: RESOURCE_WILDCARD_ALLOW_LIST,
  managedPolicyAllowList: MANAGED_POLICY_ALLOW_LIST,
};
const allow = (statement: Record<string, unknown>) => ({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", ...statement }],
});
const resource = (type: string, inputs: Record<string, unknown>): RecordedResource => ({
  type,
  name: "under-test",
  inputs,
  custom: true,
});

describe("the IAM checker", () => {
  it("accepts a scoped statement", () => {
    const scoped = allow({ Action: ["s3:GetObject"], Resource: ["arn:aws:s3:::b/images/*"] });
    expect(checkPolicyDocument(scoped, rules)).to.deep.equal([]);
  });

  const bad: [string, Record<string, unknown>, RegExp][] = [
    ["every action", { Action: "*", Resource: "arn:aws:s3:::b" }, /every action/],
    ["a whole service", { Action: ["s3:*"], Resource: "arn:aws:s3:::b" }, /whole service \(s3:\*\)/],
    ["a wildcard action", { Action: ["s3:Get*"], Resource: "arn:aws:s3:::b" }, /wildcard action/],
    ["Resource * off the allow-list", { Action: ["s3:GetObject"], Resource: "*" }, /s3:GetObject on Resource "\*"/],
    ["NotAction", { NotAction: ["iam:*"], Resource: "arn:aws:s3:::b" }, /NotAction/],
    ["a public principal", { Action: ["s3:GetObject"], Resource: "arn:aws:s3:::b", Principal: "*" }, /anyone/],
    ["an AWS * principal", { Action: ["s3:GetObject"], Principal: { AWS: ["*"] } }, /anyone/],
  ];
  for (const [what, statement, problem] of bad) {
    it(`fails a policy that allows ${what}`, () => {
      const problems = checkPolicyDocument(allow(statement), rules);
      expect(problems.join("\n")).to.match(problem);
    });
  }

  it("accepts Resource * for an allow-listed action", () => {
    expect(checkPolicyDocument(allow({ Action: ["ecr:GetAuthorizationToken"], Resource: "*" }), rules)).to.deep.equal(
      [],
    );
  });

  it("ignores Deny statements, which only narrow access", () => {
    const deny = { Statement: [{ Effect: "Deny", Principal: "*", Action: "s3:*", Resource: "*" }] };
    expect(checkPolicyDocument(deny, rules)).to.deep.equal([]);
  });

  it("finds policy documents wherever a resource carries them", () => {
    const document = JSON.stringify(allow({ Action: "s3:*", Resource: "*" }));
    const found = findPolicyDocuments({
      assumeRolePolicy: document,
      inlinePolicies: [{ name: "x", policy: document }],
    });
    expect(found.map((f) => f.path)).to.deep.equal(["assumeRolePolicy", "inlinePolicies.0.policy"]);
  });

  it("fails FullAccess and unlisted AWS-managed policies", () => {
    const findings = checkIam(
      [
        resource("aws:iam/rolePolicyAttachment:RolePolicyAttachment", {
          policyArn: "arn:aws:iam::aws:policy/AmazonSageMakerFullAccess",
        }),
        resource("aws:iam/role:Role", { managedPolicyArns: ["arn:aws:iam::aws:policy/ReadOnlyAccess"] }),
      ],
      rules,
    );
    expect(findings).to.have.length(2);
    expect(findings[0]).to.contain("FullAccess");
    expect(findings[1]).to.contain("not on the allow-list");
  });

  it("gives a reason for every allow-listed action", () => {
    for (const [action, reason] of Object.entries(RESOURCE_WILDCARD_ALLOW_LIST)) {
      expect(action).to.match(/^[a-z0-9-]+:[A-Za-z]+$/);
      expect(reason, action).to.have.length.greaterThan(20);
    }
  });
});

for (const stack of ["dev", "prod"]) {
  describe(`IAM in the ${stack} stack`, () => {
    let resources: RecordedResource[];
    before(async () => {
      resources = (await runStack(stack)).resources;
    });

    it("every policy document is least-privilege", () => {
      expect(checkIam(resources, rules)).to.deep.equal([]);
    });

    it("the checker saw every policy the program creates", () => {
      const withPolicies = resources.filter((r) => findPolicyDocuments(r.inputs).length > 0).map((r) => r.name);
      expect(withPolicies).to.include.members([
        "labels-offline-store-role",
        "labels-offline-store-access",
        "sagemaker-execution-role",
        "sagemaker-execution-access",
        "data-lake-tls-only",
        "pipeline-labeling-access",
        "pipeline-state-machine-access",
        "pipeline-start-pipeline-access",
        "pipeline-compile-onnx-access",
      ]);
    });

    it("every role can be assumed only by an AWS service of this account", () => {
      for (const role of resources.filter((r) => r.type === "aws:iam/role:Role")) {
        const trust = JSON.parse(role.inputs.assumeRolePolicy as string);
        for (const statement of trust.Statement) {
          expect(statement.Principal, role.name).to.have.key("Service");
          expect(statement.Condition?.StringEquals?.["aws:SourceAccount"], role.name).to.deep.equal(["123456789012"]);
        }
      }
    });
  });
}
