import type { StateMachineDefinition, TaskState } from "../../stateMachines/asl";
import type { PolicyDocument } from "./iamEvaluator";
import type { ProgramRun, RecordedResource } from "./pulumiProgram";

/**
 * The roles of a stack as the Pulumi mocks recorded them: each role's trust policy and the policy documents attached
 * to it, found by the ARN the resource that uses it was given. Anything that cannot be traced to one role throws.
 */
export interface RecordedRole {
  name: string;
  arn: string;
  trust: PolicyDocument;
  policies: PolicyDocument[];
}

const parse = (value: unknown) => (typeof value === "string" ? JSON.parse(value) : value) as PolicyDocument;

export function recordedRoles(run: ProgramRun<unknown>): RecordedRole[] {
  const rolePolicies = run.ofType("aws:iam/rolePolicy:RolePolicy");
  return run.ofType("aws:iam/role:Role").map((role) => {
    const inline = ((role.inputs.inlinePolicies ?? []) as { policy?: string }[]).flatMap((p) => p.policy ?? []);
    return {
      name: role.name,
      arn: `arn:aws:iam::123456789012:role/${role.name}`,
      trust: parse(role.inputs.assumeRolePolicy),
      policies: [
        ...inline.map(parse),
        ...rolePolicies.filter((p) => p.inputs.role === `${role.name}-id`).map((p) => parse(p.inputs.policy)),
      ],
    };
  });
}

export function roleByArn(roles: RecordedRole[], arn: unknown): RecordedRole {
  const role = roles.find((r) => r.arn === arn);
  if (!role) throw new Error(`no recorded role has the ARN ${String(arn)}`);
  return role;
}

export function roleByName(roles: RecordedRole[], name: string): RecordedRole {
  const role = roles.find((r) => r.name === name);
  if (!role) throw new Error(`no role ${name} was recorded (roles: ${roles.map((r) => r.name).join(", ")})`);
  return role;
}

/** The one state machine: its definition and the role it runs as. */
export function stateMachineOf(run: ProgramRun<unknown>, roles: RecordedRole[]) {
  const machine = run.one("aws:sfn/stateMachine:StateMachine");
  return {
    definition: JSON.parse(machine.inputs.definition as string) as StateMachineDefinition,
    role: roleByArn(roles, machine.inputs.roleArn),
  };
}

/** The role a Lambda Task's function runs as, from the function the Task's Resource names. */
export function functionRoleOf(run: ProgramRun<unknown>, roles: RecordedRole[], task: TaskState): RecordedRole {
  const fn = run
    .ofType("aws:lambda/function:Function")
    .find((f: RecordedResource) => task.Resource.endsWith(`/${f.name}`) || task.Resource.endsWith(`:${f.inputs.name}`));
  if (!fn) throw new Error(`no recorded function is ${task.Resource}`);
  return roleByArn(roles, fn.inputs.role);
}
