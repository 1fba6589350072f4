import type { RecordedResource } from "./pulumiProgram";

interface Statement {
  Effect?: string;
  Action?: string | string[];
  NotAction?: unknown;
  Resource?: string | string[];
  NotResource?: unknown;
  Principal?: unknown;
  NotPrincipal?: unknown;
}
interface PolicyDocument {
  Statement: Statement | Statement[];
}

export interface IamRules {
  resourceWildcardAllowList: Record<string, string>;
  managedPolicyAllowList: Record<string, string>;
}

const asList = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

function parsePolicy(value: unknown): PolicyDocument | undefined {
  let candidate = value;
  if (typeof value === "string") {
    if (!value.trimStart().startsWith("{")) return undefined;
    try {
      candidate = JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  if (candidate && typeof candidate === "object" && "Statement" in candidate) return candidate as PolicyDocument;
  return undefined;
}

/** Every IAM-style policy document anywhere in a resource's inputs (role trust and inline policies, bucket, topic and IoT policies…), with its property path. */
export function findPolicyDocuments(inputs: unknown, at = ""): { path: string; document: PolicyDocument }[] {
  const document = parsePolicy(inputs);
  if (document) return [{ path: at, document }];
  if (inputs && typeof inputs === "object") {
    return Object.entries(inputs).flatMap(([key, value]) => findPolicyDocuments(value, at ? `${at}.${key}` : key));
  }
  return [];
}

function isPublicPrincipal(principal: unknown): boolean {
  if (principal === "*") return true;
  if (principal && typeof principal === "object") {
    return Object.values(principal).some((ids) => asList(ids as string | string[]).includes("*"));
  }
  return false;
}

/** Problems in one policy document; an empty list means it is least-privilege by our rules. */
export function checkPolicyDocument(document: PolicyDocument, rules: IamRules): string[] {
  const problems: string[] = [];
  asList(document.Statement).forEach((statement, index) => {
    if (statement.Effect !== "Allow") return; // Deny statements only ever narrow access.
    const where = `statement ${index}`;
    for (const key of ["NotAction", "NotResource", "NotPrincipal"] as const) {
      if (statement[key] !== undefined) problems.push(`${where} allows with ${key}, which grants everything else`);
    }
    const actions = asList(statement.Action);
    for (const action of actions) {
      if (action === "*") problems.push(`${where} allows every action ("*")`);
      else if (action.endsWith(":*")) problems.push(`${where} allows a whole service (${action})`);
      else if (action.includes("*")) problems.push(`${where} allows a wildcard action (${action})`);
    }
    if (asList(statement.Resource).includes("*")) {
      for (const action of actions) {
        if (!(action in rules.resourceWildcardAllowList)) {
          problems.push(`${where} allows ${action} on Resource "*" and ${action} is not on the allow-list`);
        }
      }
    }
    if (isPublicPrincipal(statement.Principal)) problems.push(`${where} allows anyone (Principal "*")`);
  });
  return problems;
}

function managedPolicyArns(resource: RecordedResource): string[] {
  const { policyArn, managedPolicyArns } = resource.inputs as { policyArn?: string; managedPolicyArns?: string[] };
  return [...asList(policyArn), ...asList(managedPolicyArns)];
}

/** Walks every resource the program created and reports each IAM problem as "<type> <name> <where>: <problem>". */
export function checkIam(resources: RecordedResource[], rules: IamRules): string[] {
  const findings: string[] = [];
  for (const resource of resources) {
    const label = `${resource.type} ${resource.name}`;
    for (const { path, document } of findPolicyDocuments(resource.inputs)) {
      for (const problem of checkPolicyDocument(document, rules)) findings.push(`${label} ${path}: ${problem}`);
    }
    for (const arn of managedPolicyArns(resource)) {
      if (arn.includes("FullAccess")) findings.push(`${label}: attaches the FullAccess managed policy ${arn}`);
      else if (
        /^arn:aws[a-z-]*:iam::aws:policy\//.test(arn) &&
        !(arn.split("/").pop()! in rules.managedPolicyAllowList)
      ) {
        findings.push(`${label}: attaches the AWS-managed policy ${arn}, which is not on the allow-list`);
      }
    }
  }
  return findings;
}
