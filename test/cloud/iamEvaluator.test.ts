import { expect } from "chai";
import { evaluate, PolicyDocument, wildcardMatch } from "../harness/iamEvaluator";

const policy = (...Statement: Record<string, unknown>[]) =>
  ({ Version: "2012-10-17", Statement }) as unknown as PolicyDocument;
const allow = (statement: Record<string, unknown>) => ({ Effect: "Allow", ...statement });
const BUCKET = "arn:aws:s3:::lake";

describe("the IAM evaluator (the subset our policies use)", () => {
  it("matches * and ? wildcards, actions without case, resources with it", () => {
    expect(wildcardMatch("arn:aws:s3:::lake/images/*", "arn:aws:s3:::lake/images/a/b.jpg")).to.equal(true);
    expect(wildcardMatch("arn:aws:s3:::lake/images/*", "arn:aws:s3:::lake/Images/a.jpg")).to.equal(false);
    expect(wildcardMatch("job-?", "job-1")).to.equal(true);
    expect(wildcardMatch("job-?", "job-12")).to.equal(false);
    expect(wildcardMatch("a.b", "aXb"), "a dot is literal").to.equal(false);
    const p = policy(allow({ Action: "S3:getobject", Resource: `${BUCKET}/*` }));
    expect(evaluate([p], { action: "s3:GetObject", resource: `${BUCKET}/x` })).to.equal("Allowed");
  });

  it("denies implicitly what no statement allows, and an explicit Deny beats any Allow", () => {
    const allowAll = allow({ Action: "s3:*", Resource: "*" });
    const request = { action: "s3:DeleteBucket", resource: BUCKET };
    expect(evaluate([policy(allow({ Action: "s3:GetObject", Resource: "*" }))], request)).to.equal("ImplicitDeny");
    expect(evaluate([policy(allowAll)], request)).to.equal("Allowed");
    expect(evaluate([policy(allowAll, { Effect: "Deny", Action: "s3:Delete*", Resource: "*" })], request)).to.equal(
      "ExplicitDeny",
    );
  });

  it("evaluates NotAction and NotResource as everything else", () => {
    const p = policy(allow({ NotAction: "iam:*", NotResource: `${BUCKET}/secret/*` }));
    expect(evaluate([p], { action: "s3:GetObject", resource: `${BUCKET}/x` })).to.equal("Allowed");
    expect(evaluate([p], { action: "iam:PassRole", resource: "arn:aws:iam::1:role/r" })).to.equal("ImplicitDeny");
    expect(evaluate([p], { action: "s3:GetObject", resource: `${BUCKET}/secret/k` })).to.equal("ImplicitDeny");
  });

  it("resolves policy variables from the request, and never matches when one is missing", () => {
    const p = policy(allow({ Action: "s3:PutObject", Resource: `${BUCKET}/devices/\${credentials-iot:ThingName}/*` }));
    const put = (thing: string | undefined, key: string) =>
      evaluate([p], {
        action: "s3:PutObject",
        resource: `${BUCKET}/${key}`,
        context: thing ? { "credentials-iot:ThingName": thing } : {},
      });
    expect(put("line-1", "devices/line-1/a.jpg")).to.equal("Allowed");
    expect(put("line-1", "devices/line-2/a.jpg")).to.equal("ImplicitDeny");
    expect(put(undefined, "devices/${credentials-iot:ThingName}/a.jpg")).to.equal("ImplicitDeny");
  });

  it("applies StringEquals, StringLike, ArnLike, ArnEquals and Bool; a missing key fails them", () => {
    const cases: [Record<string, unknown>, Record<string, string | boolean>, boolean][] = [
      [
        { StringEquals: { "iam:PassedToService": ["sagemaker.amazonaws.com"] } },
        { "iam:PassedToService": "sagemaker.amazonaws.com" },
        true,
      ],
      [
        { StringEquals: { "iam:PassedToService": ["sagemaker.amazonaws.com"] } },
        { "iam:PassedToService": "ec2.amazonaws.com" },
        false,
      ],
      [{ StringEquals: { "iam:PassedToService": ["sagemaker.amazonaws.com"] } }, {}, false],
      [{ StringLike: { "s3:prefix": ["images/*", "labeling/*"] } }, { "s3:prefix": "labeling/job-1/" }, true],
      [{ StringLike: { "s3:prefix": ["images/*"] } }, { "s3:prefix": "models/" }, false],
      [
        { ArnLike: { "aws:SourceArn": ["arn:aws:states:*:1:stateMachine:qi-*"] } },
        { "aws:SourceArn": "arn:aws:states:eu-west-1:1:stateMachine:qi-dev" },
        true,
      ],
      [
        { ArnEquals: { "aws:SourceArn": ["arn:aws:sns:eu-west-1:1:t"] } },
        { "aws:SourceArn": "arn:aws:sns:eu-west-1:1:u" },
        false,
      ],
      [{ Bool: { "aws:SecureTransport": ["false"] } }, { "aws:SecureTransport": false }, true],
      [{ Bool: { "aws:SecureTransport": ["false"] } }, { "aws:SecureTransport": true }, false],
      [{ StringNotEquals: { "aws:SourceAccount": ["1"] } }, {}, true],
      [{ StringEqualsIfExists: { "aws:SourceAccount": ["1"] } }, {}, true],
      [{ StringEquals: { "a:x": ["1"], "a:y": ["2"] } }, { "a:x": "1", "a:y": "3" }, false],
    ];
    for (const [Condition, context, allowed] of cases) {
      const p = policy(allow({ Action: "s3:ListBucket", Resource: BUCKET, Condition }));
      const decision = evaluate([p], { action: "s3:ListBucket", resource: BUCKET, context });
      expect(decision, JSON.stringify({ Condition, context })).to.equal(allowed ? "Allowed" : "ImplicitDeny");
    }
  });

  it("refuses operators outside the subset instead of guessing", () => {
    const p = policy(
      allow({ Action: "s3:ListBucket", Resource: BUCKET, Condition: { NumericLessThan: { "s3:max-keys": ["10"] } } }),
    );
    expect(() =>
      evaluate([p], { action: "s3:ListBucket", resource: BUCKET, context: { "s3:max-keys": "5" } }),
    ).to.throw(/NumericLessThan is outside/);
  });

  it("matches a Principal in resource and trust policies", () => {
    const trust = policy(allow({ Action: "sts:AssumeRole", Principal: { Service: ["states.amazonaws.com"] } }));
    expect(evaluate([trust], { action: "sts:AssumeRole", principal: { Service: "states.amazonaws.com" } })).to.equal(
      "Allowed",
    );
    expect(evaluate([trust], { action: "sts:AssumeRole", principal: { Service: "ec2.amazonaws.com" } })).to.equal(
      "ImplicitDeny",
    );
    const tlsOnly = policy({
      Effect: "Deny",
      Principal: "*",
      Action: "s3:*",
      Resource: [BUCKET, `${BUCKET}/*`],
      Condition: { Bool: { "aws:SecureTransport": ["false"] } },
    });
    expect(
      evaluate([tlsOnly], {
        action: "s3:GetObject",
        resource: `${BUCKET}/k`,
        context: { "aws:SecureTransport": false },
      }),
    ).to.equal("ExplicitDeny");
  });
});
