import { writeFileSync } from "node:fs";
import * as path from "node:path";
import * as prettier from "prettier";
import { policyDocument } from "../cloud/iam";
import { cliOperatorStatements } from "../cloud/operatorPolicy";
import { componentNames } from "../contracts/modelComponent";

/**
 * Writes docs/cli-operator-policy.json: the CLI operator's policy (cloud/operatorPolicy.ts) with placeholders for
 * what differs per stack. test/cloud/operatorPolicy.test.ts fails when the file is not what this renders.
 */
export const OPERATOR_POLICY_FILE = path.resolve(__dirname, "..", "docs", "cli-operator-policy.json");

/** The policy document, parsed. */
export function renderOperatorPolicy(): Promise<unknown> {
  const prefix = "<name-prefix>";
  const names = componentNames(prefix);
  const document = policyDocument(
    cliOperatorStatements({
      partition: "aws",
      region: "<region>",
      accountId: "<account-id>",
      namePrefix: prefix,
      stateMachineName: `${prefix}-pipeline`,
      bucketArn: "arn:aws:s3:::<data-lake-bucket>",
      modelPackageGroupName: "<model-package-group>",
      componentNames: [names.inference, names.model],
      coreDevices: ["<core-device>"],
      featureGroupName: "<feature-group>",
    }),
  );
  return new Promise((resolve) => document.apply((json) => resolve(JSON.parse(json))));
}

if (require.main === module) {
  void renderOperatorPolicy().then(async (policy) => {
    const options = (await prettier.resolveConfig(OPERATOR_POLICY_FILE)) ?? {};
    writeFileSync(OPERATOR_POLICY_FILE, await prettier.format(JSON.stringify(policy), { ...options, parser: "json" }));
    console.log(`wrote ${path.relative(process.cwd(), OPERATOR_POLICY_FILE)}`);
  });
}
