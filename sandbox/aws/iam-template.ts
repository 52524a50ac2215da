import { KNOWN_REGIONS } from '../../orchestrator/domain/regions.ts';
import { TOOLING_ACCOUNT } from './accounts.ts';

/** An IAM policy document, as the template writes it once resolved. */
export interface PolicyDocument {
  Version: string;
  Statement: Record<string, unknown>[];
}

/** One role of a deployed template: its name, its trust policy and every policy attached to it. */
export interface DeployedRole {
  roleName: string;
  trust: PolicyDocument;
  policies: { name: string; document: PolicyDocument }[];
}

type Template = {
  Parameters?: Record<string, { Type: string; Default?: string }>;
  Conditions?: Record<string, unknown>;
  Resources: Record<
    string,
    { Type: string; Condition?: string; Properties: Record<string, unknown> }
  >;
};

let synthesized: Template | undefined;

/**
 * The workload role template exactly as the deploy synthesizes it (`WorkloadRoleStack`),
 * synthesized once per process: the local AWS evaluates calls against this, so what is tested
 * is what customers deploy. About 100 ms, plus loading the CDK when nothing else has.
 */
export async function synthesizedWorkloadTemplate(): Promise<Template> {
  if (synthesized) return synthesized;
  // Loaded on first use: a local AWS that is never called with a workload role never loads the CDK.
  const { App, Stage } = await import('aws-cdk-lib');
  const { WorkloadRoleStack } = await import('../../infra/stacks/workload-role-stack.ts');
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stage = new Stage(app, 'Local');
  const stack = new WorkloadRoleStack(stage, 'LifeboatWorkloadRole', {
    lifeboatAccountId: TOOLING_ACCOUNT,
    lifeboatRegions: KNOWN_REGIONS,
  });
  synthesized = stage.synth({ validateOnSynthesis: false }).getStackArtifact(stack.artifactId)
    .template as Template;
  return synthesized;
}

const NO_VALUE = Symbol('AWS::NoValue');

/**
 * The roles a template creates in `account` when deployed with `parameters`, each with the
 * policies whose conditions hold: CloudFormation's own resolution of `Ref`, `Fn::Join`,
 * `Fn::Split`, `Fn::Select`, `Fn::If` and conditions, for what the workload role template uses.
 */
export function deployedRoles(
  template: Template,
  parameters: Record<string, string>,
  account: string,
  region = 'us-east-1',
): DeployedRole[] {
  const values = new Map<string, unknown>();
  for (const [name, declared] of Object.entries(template.Parameters ?? {})) {
    const value = parameters[name] ?? declared.Default;
    if (value === undefined)
      throw new RangeError(`The template needs parameter ${name}; it has no default.`);
    values.set(name, declared.Type === 'CommaDelimitedList' ? value.split(',') : value);
  }
  const pseudo: Record<string, unknown> = {
    'AWS::AccountId': account,
    'AWS::Partition': 'aws',
    'AWS::Region': region,
    'AWS::URLSuffix': 'amazonaws.com',
    'AWS::NoValue': NO_VALUE,
  };
  const conditions = new Map<string, boolean>();
  const condition = (name: string): boolean => {
    const known = conditions.get(name);
    if (known !== undefined) return known;
    const held = test(template.Conditions?.[name]);
    conditions.set(name, held);
    return held;
  };
  const test = (node: unknown): boolean => {
    const [fn, args] = Object.entries(node as Record<string, unknown>)[0] ?? [];
    const list = args as unknown[];
    switch (fn) {
      case 'Fn::Equals':
        return JSON.stringify(resolve(list[0])) === JSON.stringify(resolve(list[1]));
      case 'Fn::Not':
        return !test(list[0]);
      case 'Fn::And':
        return list.every(test);
      case 'Fn::Or':
        return list.some(test);
      case 'Condition':
        return condition(String(args));
      default:
        throw new RangeError(`Condition function ${String(fn)} is not resolved locally.`);
    }
  };
  const resolve = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(resolve).filter((value) => value !== NO_VALUE);
    if (node === null || typeof node !== 'object') return node;
    const entries = Object.entries(node as Record<string, unknown>);
    const [fn, args] = entries[0] ?? [];
    if (entries.length === 1 && fn === 'Ref') {
      const name = String(args);
      if (name in pseudo) return pseudo[name];
      if (values.has(name)) return values.get(name);
      throw new RangeError(`Ref ${name} names no parameter; resources are not resolved locally.`);
    }
    if (entries.length === 1 && fn?.startsWith('Fn::')) {
      const list = args as unknown[];
      switch (fn) {
        case 'Fn::Join':
          return (resolve(list[1]) as unknown[]).flat().map(String).join(String(list[0]));
        case 'Fn::Split':
          return String(resolve(list[1])).split(String(list[0]));
        case 'Fn::Select':
          return (resolve(list[1]) as unknown[])[Number(resolve(list[0]))];
        case 'Fn::If':
          return resolve(condition(String(list[0])) ? list[1] : list[2]);
        default:
          throw new RangeError(`${fn} is not resolved locally.`);
      }
    }
    return Object.fromEntries(
      entries
        .map(([key, value]) => [key, resolve(value)])
        .filter(([, value]) => value !== NO_VALUE),
    );
  };

  const resources = Object.entries(template.Resources);
  const kept = resources.filter(([, r]) => !r.Condition || condition(r.Condition));
  return kept
    .filter(([, r]) => r.Type === 'AWS::IAM::Role')
    .map(([logicalId, role]) => ({
      roleName: String(resolve(role.Properties.RoleName)),
      trust: resolve(role.Properties.AssumeRolePolicyDocument) as PolicyDocument,
      policies: [
        ...((role.Properties.Policies ?? []) as { PolicyName: string; PolicyDocument: unknown }[]),
        ...kept
          .filter(
            ([, r]) =>
              r.Type === 'AWS::IAM::Policy' &&
              (r.Properties.Roles as { Ref?: string }[]).some((ref) => ref.Ref === logicalId),
          )
          .map(([, r]) => r.Properties as { PolicyName: string; PolicyDocument: unknown }),
      ].map((p) => ({ name: p.PolicyName, document: resolve(p.PolicyDocument) as PolicyDocument })),
    }));
}
