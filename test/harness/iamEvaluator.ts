/**
 * A small evaluator of IAM policy documents for the subset this project writes: Allow and Deny, Action/NotAction and
 * Resource/NotResource with `*` and `?` wildcards, policy variables (`${aws:username}`-style, resolved from the
 * request's context), Principal for resource and trust policies, and the condition operators StringEquals,
 * StringNotEquals, StringLike, StringNotLike, ArnEquals, ArnLike, ArnNotLike and Bool (each also `...IfExists`).
 * An explicit Deny wins, then an Allow; nothing matching is an implicit deny
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html). Anything outside the
 * subset (another operator, a set operator) throws, so a policy cannot silently be judged by rules it does not follow.
 * Our own code rather than `@cloud-copilot/iam-simulate` (AGPL-3.0): see docs/decisions.md.
 */
export interface IamRequest {
  action: string;
  /** The resource ARN as AWS forms it; omitted for a trust policy (the role itself). */
  resource?: string;
  /** Who asks, for statements with a Principal: `{ Service: "states.amazonaws.com" }`, `{ AWS: "<arn>" }`. */
  principal?: Record<string, string>;
  /** Condition keys of the request, such as `iam:PassedToService` or `s3:prefix`. */
  context?: Record<string, string | boolean>;
}

export type Decision = "Allowed" | "ExplicitDeny" | "ImplicitDeny";

interface Statement {
  Effect: "Allow" | "Deny";
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Principal?: "*" | Record<string, string | string[]>;
  Condition?: Record<string, Record<string, string | boolean | (string | boolean)[]>>;
}
export interface PolicyDocument {
  Statement: Statement | Statement[];
}

const list = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/** `*` any run of characters, `?` one character; everything else literal. */
export function wildcardMatch(pattern: string, value: string, ignoreCase = false): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${source}$`, ignoreCase ? "is" : "s").test(value);
}

/** Replaces `${key}` with the request's value; undefined when a variable is not in the context (no match). */
function substitute(pattern: string, context: IamRequest["context"] = {}): string | undefined {
  let missing = false;
  const value = pattern.replace(/\$\{([^}]+)\}/g, (_, key: string) => {
    const found = context[key];
    if (found === undefined) missing = true;
    return String(found);
  });
  return missing ? undefined : value;
}

const actionMatches = (patterns: string[], action: string) => patterns.some((p) => wildcardMatch(p, action, true));

function resourceMatches(patterns: string[], request: IamRequest): boolean {
  return patterns.some((pattern) => {
    const resolved = substitute(pattern, request.context);
    return resolved !== undefined && request.resource !== undefined && wildcardMatch(resolved, request.resource);
  });
}

function principalMatches(principal: Statement["Principal"], request: IamRequest): boolean {
  if (principal === "*") return true;
  return Object.entries(principal ?? {}).some(([kind, ids]) =>
    list(ids).some((id) => id === "*" || request.principal?.[kind] === id),
  );
}

type Comparison = (expected: string, actual: string) => boolean;
const COMPARISONS: Record<string, { compare: Comparison; negated?: boolean }> = {
  StringEquals: { compare: (e, a) => e === a },
  StringNotEquals: { compare: (e, a) => e === a, negated: true },
  StringLike: { compare: (e, a) => wildcardMatch(e, a) },
  StringNotLike: { compare: (e, a) => wildcardMatch(e, a), negated: true },
  ArnEquals: { compare: (e, a) => e === a },
  ArnLike: { compare: (e, a) => wildcardMatch(e, a) },
  ArnNotLike: { compare: (e, a) => wildcardMatch(e, a), negated: true },
  Bool: { compare: (e, a) => e.toLowerCase() === a.toLowerCase() },
};

function conditionHolds(operator: string, key: string, expected: unknown, request: IamRequest): boolean {
  const ifExists = operator.endsWith("IfExists");
  const name = ifExists ? operator.slice(0, -"IfExists".length) : operator;
  const rule = COMPARISONS[name];
  if (!rule) throw new Error(`condition operator ${operator} is outside what the evaluator knows`);
  const actual = request.context?.[key];
  if (actual === undefined) return ifExists || rule.negated === true;
  const matched = list(expected as string | string[]).some((value) => {
    const resolved = substitute(String(value), request.context);
    return resolved !== undefined && rule.compare(resolved, String(actual));
  });
  return rule.negated ? !matched : matched;
}

function statementApplies(statement: Statement, request: IamRequest): boolean {
  const actionHit =
    statement.Action !== undefined
      ? actionMatches(list(statement.Action), request.action)
      : !actionMatches(list(statement.NotAction), request.action);
  if (!actionHit) return false;
  if (statement.Resource !== undefined || statement.NotResource !== undefined) {
    const hit =
      statement.Resource !== undefined
        ? resourceMatches(list(statement.Resource), request)
        : !resourceMatches(list(statement.NotResource), request);
    if (!hit) return false;
  }
  if (statement.Principal !== undefined && !principalMatches(statement.Principal, request)) return false;
  return Object.entries(statement.Condition ?? {}).every(([operator, keys]) =>
    Object.entries(keys).every(([key, expected]) => conditionHolds(operator, key, expected, request)),
  );
}

/** The decision for one request against every policy that applies to it (identity, resource, trust). */
export function evaluate(policies: (PolicyDocument | string)[], request: IamRequest): Decision {
  const statements = policies.flatMap((p) => list((typeof p === "string" ? JSON.parse(p) : p).Statement as Statement));
  const applying = statements.filter((statement) => statementApplies(statement, request));
  if (applying.some((s) => s.Effect === "Deny")) return "ExplicitDeny";
  return applying.some((s) => s.Effect === "Allow") ? "Allowed" : "ImplicitDeny";
}
