import { expect } from "chai";
import { constraintsAvailable, operationInput } from "../harness/apiModels";
import { configConstants, definitionVariants, reachableStates } from "../harness/definitionVariants";
import { requestProblems } from "../harness/requestShapes";
import { skipBecause } from "../harness/skip";
import { definitionTasks, taskIntegration } from "../harness/taskIntegrations";

const NEO_REQUEST = {
  CompilationJobName: "qi-dev-compile-1",
  RoleArn: "arn:aws:iam::123456789012:role/qi-dev-sagemaker",
  InputConfig: {
    S3Uri: "s3://lake/models/1/model.tar.gz",
    DataInputConfig: '{"images":[1,3,48,64]}',
    Framework: "ONNX",
  },
  OutputConfig: { S3OutputLocation: "s3://lake/compiled/1/neo/", TargetDevice: "jetson_xavier" },
  StoppingCondition: { MaxRuntimeInSeconds: 900 },
  Tags: [{ Key: "stack", Value: "dev" }],
};
const problems = (request: unknown, parameters = false) =>
  requestProblems("sagemaker", "CreateCompilationJob", request, { parameters });

describe("the request checker (AWS API models)", () => {
  it("accepts a well-formed request", () => {
    expect(problems(NEO_REQUEST)).to.deep.equal([]);
  });

  const broken: [string, (r: typeof NEO_REQUEST) => unknown, RegExp][] = [
    ["a missing required member", ({ RoleArn: _, ...rest }) => rest, /RoleArn: required, missing/],
    ["a nested required member", (r) => ({ ...r, Tags: [{ Key: "stack" }] }), /Tags\[0\]\.Value: required/],
    ["an unknown member", (r) => ({ ...r, Role: "x" }), /Role: no such member/],
    ["a camelCase member", (r) => ({ ...r, roleArn: r.RoleArn }), /roleArn: no such member/],
    ["a wrong type", (r) => ({ ...r, StoppingCondition: { MaxRuntimeInSeconds: "900" } }), /expected a whole number/],
    ["a string for a list", (r) => ({ ...r, Tags: "stack=dev" }), /Tags: expected a list/],
  ];
  for (const [what, breakIt, problem] of broken) {
    it(`finds ${what}`, () => {
      expect(problems(breakIt(NEO_REQUEST)).join("\n")).to.match(problem);
    });
  }

  const constrained: [string, (r: typeof NEO_REQUEST) => unknown, RegExp][] = [
    [
      "an enum value",
      (r) => ({ ...r, OutputConfig: { ...r.OutputConfig, TargetDevice: "jetson_xavierx" } }),
      /"jetson_xavierx" is not one of/,
    ],
    ["a length", (r) => ({ ...r, CompilationJobName: "x".repeat(64) }), /length 64 is above 63/],
    ["a pattern", (r) => ({ ...r, CompilationJobName: "has spaces" }), /"has spaces" does not match/],
    ["an ARN pattern", (r) => ({ ...r, RoleArn: "arn:aws:iam::1234:user/x" }), /RoleArn: .* does not match/],
    ["a range", (r) => ({ ...r, StoppingCondition: { MaxRuntimeInSeconds: 0 } }), /0 is below 1/],
  ];
  for (const [what, breakIt, problem] of constrained) {
    it(`finds a broken ${what} (botocore's full model)`, function () {
      if (!constraintsAvailable()) skipBecause(this, "botocore (python3-botocore) is not installed");
      expect(problems(breakIt(NEO_REQUEST)).join("\n")).to.match(problem);
    });
  }

  it("reads Step Functions Parameters: `.$` keys name a member and take a path or an intrinsic", () => {
    const { CompilationJobName: _, ...rest } = NEO_REQUEST;
    expect(problems({ ...rest, "CompilationJobName.$": "$.run.names.compilationJob" }, true)).to.deep.equal([]);
    expect(problems({ ...NEO_REQUEST, "JobName.$": "$.name" }, true).join()).to.match(/JobName: no such member/);
    const counted = { ...NEO_REQUEST, StoppingCondition: { "MaxRuntimeInSeconds.$": "States.Format('{}', $.n)" } };
    expect(problems(counted, true).join()).to.match(/States\.Format gives a string, the model wants a integer/);
    expect(problems({ ...rest, "CompilationJobName.$": "name" }, true).join()).to.match(/neither a JSONPath/);
  });

  it("knows every integration the definition uses, and fails loudly on one it does not", () => {
    expect(taskIntegration("arn:aws:states:::aws-sdk:sagemaker:createCompilationJob")).to.include({
      service: "sagemaker",
      operation: "CreateCompilationJob",
    });
    expect(taskIntegration("arn:aws:states:::sagemaker:createTrainingJob.sync")).to.include({ sync: true });
    expect(() => taskIntegration("arn:aws:states:::ecs:runTask.sync:3")).to.throw(/do not know/);
    expect(() => operationInput("sagemaker", "CreateCompileJob")).to.throw(/no operation CreateCompileJob/);
  });
});

describe("every service Task of every definition the config allows fits AWS's API model", () => {
  const variants = definitionVariants();

  it("skips only what a stack can never reach: the Neo job of an onnx stack", () => {
    const onnx = variants.find((v) => v.label === "dev: compilation target onnx")!;
    const neo = variants.find((v) => v.label === "dev: compilation target jetson_nano")!;
    const unreachable = (v: typeof onnx) => {
      const reachable = reachableStates(v.definition, configConstants(v.config));
      return Object.keys(v.definition.States).filter((name) => !reachable.has(name));
    };
    expect(unreachable(onnx)).to.include.members(["StartNeoCompilation", "DescribeNeoCompilation"]);
    expect(unreachable(onnx)).to.not.include("OptimiseOnnx");
    expect(unreachable(neo)).to.deep.equal(["OptimiseOnnx", "OptimiseOnnxFailed"]);
  });

  it("covers both stacks, each workforce kind, verification on and off, and every compilation target", () => {
    const labels = variants.map((v) => v.label).join("\n");
    for (const expected of ["dev: as configured", "prod: public workforce, verification true", "jetson_xavier"]) {
      expect(labels).to.contain(expected);
    }
  });

  for (const { label, definition, config } of variants) {
    it(label, () => {
      const reachable = reachableStates(definition, configConstants(config));
      const tasks = definitionTasks(definition).filter(
        (task) => task.integration.kind !== "lambda" && reachable.has(task.name),
      );
      expect(tasks.length, "service Tasks").to.be.greaterThan(5);
      const found = tasks.flatMap(({ name, state, integration }) =>
        requestProblems(integration.service, integration.operation, state.Parameters ?? {}, integration.options).map(
          (problem) => `${name}: ${problem}`,
        ),
      );
      expect(found).to.deep.equal([]);
    });
  }
});
