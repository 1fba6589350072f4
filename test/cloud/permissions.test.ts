import { expect } from "chai";
import { parseStackConfig, StackConfig } from "../../config/schema";
import { runNames } from "../../lib/runNames";
import { PIPELINE_FUNCTIONS, PipelineFunction } from "../../stateMachines/functions";
import type { TaskState } from "../../stateMachines/asl";
import { buildPipelineDefinition, PipelineDefinitionArgs } from "../../stateMachines/qualityInspection";
import { componentArtifactKey, componentNames, INFERENCE_RECIPE_FILE } from "../../contracts/modelComponent";
import { evaluate, IamRequest } from "../harness/iamEvaluator";
import { PipelineRun, runPipeline, testDefinitionArgs } from "../harness/pipelineHarness";
import { AccountFacts, Call, portCallRequests, taskCalls } from "../harness/productCalls";
import { ACCOUNT_ID, ProgramRun, readStack, runStack } from "../harness/pulumiProgram";
import { functionRoleOf, RecordedRole, recordedRoles, roleByName, stateMachineOf } from "../harness/stackRoles";

/**
 * Permissions proven sufficient: every request the product makes in AWS, evaluated against the policy documents the
 * program creates for the role that makes it, is Allowed; requests it must never be able to make are Denied.
 */
const decide = (role: RecordedRole, request: IamRequest) => evaluate(role.policies, request);
const show = (call: Call) =>
  `${call.action} ${call.resource ?? ""} ${JSON.stringify(call.context ?? {})} (${call.why})`;

function factsOf(run: ProgramRun<unknown>, config: StackConfig): AccountFacts {
  const bucket = run.ofType("aws:s3/bucket:Bucket").find((b) => b.name.includes("data-lake"));
  if (!bucket) throw new Error("no data lake bucket was recorded");
  const names = runNames(config.namePrefix, "manual-run-1", "2026-12-01T06:00:00.000Z");
  return {
    region: config.region,
    account: ACCOUNT_ID,
    bucketArn: `arn:aws:s3:::${bucket.name}-0a1b2c3d`,
    jobNames: names,
    modelPackageGroupName: config.registry.modelPackageGroupName,
    featureGroupArn: `arn:aws:sagemaker:${config.region}:${ACCOUNT_ID}:feature-group/${run.one("aws:sagemaker/featureGroup:FeatureGroup").inputs.featureGroupName}`,
    stateMachineArn: `arn:aws:states:${config.region}:${ACCOUNT_ID}:stateMachine:${config.namePrefix}-pipeline`,
    fleet: config.edge.coreDevices,
  };
}

/** The Lambda Task of each function in a definition built by the pipeline harness (its function ARNs are known). */
function stateOfFunction(fn: PipelineFunction): string {
  const args = testDefinitionArgs();
  const states = buildPipelineDefinition(args).States;
  const found = Object.entries(states).find(([, s]) => s.Type === "Task" && s.Resource === args.functions[fn]);
  if (!found) throw new Error(`no Task invokes ${fn}`);
  return found[0];
}

/** The stack's names in the pipeline harness's definition, so the handlers name what the stack's policies name. */
function withStackNames(config: StackConfig, a: PipelineDefinitionArgs): void {
  const names = componentNames(config.namePrefix);
  const inference = a.deploy.inferenceComponent;
  a.namePrefix = config.namePrefix;
  a.deploy.modelComponentName = names.model;
  a.deploy.inferenceComponent = {
    ...inference,
    name: names.inference,
    recipeKey: componentArtifactKey(names.inference, inference.version, INFERENCE_RECIPE_FILE),
  };
}

describe("permissions are sufficient and no wider (IAM evaluation)", () => {
  for (const stack of ["dev", "prod"]) {
    describe(`the ${stack} stack`, () => {
      let run: ProgramRun<unknown>;
      let roles: RecordedRole[];
      let facts: AccountFacts;
      let pipelineRuns: PipelineRun[];
      before(async function () {
        this.timeout(300_000);
        const config = parseStackConfig(readStack(stack), stack);
        run = await runStack(stack);
        roles = recordedRoles(run);
        facts = factsOf(run, config);
        // The real handlers, once with Neo and verification, once with onnx: every port call each function makes.
        pipelineRuns = [
          await runPipeline({
            args: (a) => {
              withStackNames(config, a);
              a.compilation.target = "jetson_xavier";
              a.labeling.verification = true;
            },
          }),
          await runPipeline({ args: (a) => (withStackNames(config, a), (a.compilation.target = "onnx")) }),
        ];
      });

      it("allows every request of every Task, including what .sync and Greengrass do on the role's behalf", () => {
        const { definition, role } = stateMachineOf(run, roles);
        const denied: string[] = [];
        let checked = 0;
        for (const [name, state] of Object.entries(definition.States)) {
          if (state.Type !== "Task") continue;
          const fn = run.ofType("aws:lambda/function:Function").find((f) => state.Resource.endsWith(`/${f.name}`));
          const calls: Call[] = fn
            ? [{ why: "invoke", action: "lambda:InvokeFunction", resource: state.Resource }]
            : taskCalls(state, facts);
          for (const call of calls) {
            checked += 1;
            if (decide(role, call) !== "Allowed") denied.push(`${name}: ${show(call)}`);
          }
        }
        expect(checked).to.be.greaterThan(40);
        expect(denied).to.deep.equal([]);
      });

      it("allows every call each function's adapters make, for every function", () => {
        const { definition } = stateMachineOf(run, roles);
        const denied: string[] = [];
        const seen = new Set<string>();
        for (const call of pipelineRuns.flatMap((r) => r.portCalls)) {
          seen.add(call.fn);
          const role = functionRoleOf(run, roles, definition.States[stateOfFunction(call.fn)] as TaskState);
          for (const request of portCallRequests(call, facts)) {
            if (decide(role, request) !== "Allowed")
              denied.push(`${call.fn} ${call.port}.${call.method}: ${show(request)}`);
          }
        }
        expect([...seen].sort()).to.deep.equal(Object.keys(PIPELINE_FUNCTIONS).sort());
        expect([...new Set(denied)]).to.deep.equal([]);
      });

      it("lets each role be assumed by its service only", () => {
        for (const role of roles) {
          const service = Object.values(
            (role.trust.Statement as unknown as { Principal: { Service: string[] } }[])[0].Principal,
          ).flat()[0];
          const assume = (principal: string) =>
            evaluate([role.trust], {
              action: "sts:AssumeRole",
              principal: { Service: principal },
              context: { "aws:SourceAccount": ACCOUNT_ID },
            });
          expect(assume(service), role.name).to.equal("Allowed");
          expect(assume("ec2.amazonaws.com" === service ? "lambda.amazonaws.com" : "ec2.amazonaws.com")).to.equal(
            "ImplicitDeny",
          );
        }
      });

      it("denies what no role may do", () => {
        const sm = stateMachineOf(run, roles).role;
        const device = roleByName(roles, "fleet-token-exchange-role");
        const thing = facts.fleet[0];
        const deviceContext = { "credentials-iot:ThingName": thing };
        const other = stack === "dev" ? "qi-prod" : "qi-dev";
        const mustDeny: [RecordedRole, IamRequest, string][] = [
          ...roles.map((role): [RecordedRole, IamRequest, string] => [
            role,
            { action: "s3:DeleteBucket", resource: facts.bucketArn },
            "delete the data lake",
          ]),
          [
            device,
            {
              action: "s3:PutObject",
              resource: `${facts.bucketArn}/images/devices/another-thing/x.jpg`,
              context: deviceContext,
            },
            "write into another device's folder",
          ],
          [
            device,
            { action: "s3:PutObject", resource: `${facts.bucketArn}/models/x.tar.gz`, context: deviceContext },
            "write outside its folder",
          ],
          [
            device,
            { action: "s3:GetObject", resource: `${facts.bucketArn}/images/x.jpg`, context: deviceContext },
            "read images",
          ],
          [
            sm,
            {
              action: "iam:PassRole",
              resource: `arn:aws:iam::${ACCOUNT_ID}:role/admin`,
              context: { "iam:PassedToService": "sagemaker.amazonaws.com" },
            },
            "pass an unrelated role",
          ],
          [
            sm,
            {
              action: "iot:CreateJob",
              resource: `arn:aws:iot:${facts.region}:${ACCOUNT_ID}:thinggroup/${other}-fleet`,
            },
            "deploy to another thing group",
          ],
          [
            sm,
            {
              action: "sagemaker:StopTrainingJob",
              resource: `arn:aws:sagemaker:${facts.region}:${ACCOUNT_ID}:training-job/${other}-train-x`,
            },
            "stop another stack's job",
          ],
          [
            sm,
            {
              action: "iot:UpdateThingShadow",
              resource: `arn:aws:iot:${facts.region}:${ACCOUNT_ID}:thing/someone-elses`,
            },
            "touch a thing outside the fleet",
          ],
          [
            sm,
            {
              action: "events:PutTargets",
              resource: `arn:aws:events:${facts.region}:${ACCOUNT_ID}:rule/billing-alerts`,
            },
            "change an EventBridge rule Step Functions does not manage",
          ],
        ];
        const allowed = mustDeny.filter(([role, request]) => decide(role, request) === "Allowed");
        expect(allowed.map(([role, , what]) => `${role.name} may ${what}`)).to.deep.equal([]);
      });
    });
  }
});
