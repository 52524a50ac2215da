import { isWildcardOnlyAction } from '@cloud-copilot/iam-simulate';
import { App, Stage, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { workloadRoleParameters } from '../../infra/config/customer-accounts.ts';
import { EC2_FOR_DRS } from '../../infra/constructs/workload-role.ts';
import { WorkloadRoleStack } from '../../infra/stacks/workload-role-stack.ts';
import { FilePlanSource } from '../../orchestrator/adapters/config-files.ts';
import { deployedRoles, synthesizedWorkloadTemplate } from '../../sandbox/aws/iam-template.ts';
import { SAMPLE_PLANS } from '../helpers.ts';
import { acknowledgments, everyNagFinding, unacknowledgedNagFindings } from './synthesize.ts';

interface Statement {
  Sid: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}
interface Resource {
  Type: string;
  Condition?: string;
  Properties: Record<string, unknown>;
}

const REGIONS = ['us-east-1', 'us-east-2', 'us-west-2', 'us-west-1'] as const;
let app: App;
let resources: Record<string, Resource>;

/** The statements of one role (`WorkloadRole` or `ReadOnlyRole`), by Sid, with their policies' conditions. */
function statementsOf(prefix: string): Map<string, Statement & { when?: string }> {
  return new Map(
    Object.entries(resources)
      .filter(([id, r]) => r.Type === 'AWS::IAM::Policy' && id.startsWith(prefix))
      .flatMap(([, r]) =>
        (r.Properties.PolicyDocument as { Statement: Statement[] }).Statement.map(
          (s) => [s.Sid, { ...s, ...(r.Condition ? { when: r.Condition } : {}) }] as const,
        ),
      ),
  );
}
const actions = (s: Statement) => [s.Action].flat();
const role = (prefix: string) =>
  Object.entries(resources).find(
    ([id, r]) => r.Type === 'AWS::IAM::Role' && id.startsWith(prefix),
  )?.[1];

beforeAll(() => {
  app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stage = new Stage(app, 'WorkloadAccount');
  const stack = new WorkloadRoleStack(stage, 'LifeboatWorkloadRole', {
    lifeboatAccountId: '111122223333',
    lifeboatRegions: REGIONS,
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  resources = stage.synth().getStackArtifact(stack.artifactId).template.Resources;
});

describe('the workload role template', () => {
  it('trusts exactly the function roles that act (the recovery role) and that read (the read-only role), by name, with the external id', () => {
    // Prepare
    const trusted = (prefix: string) => {
      const trust = role(prefix)?.Properties.AssumeRolePolicyDocument as
        | { Statement: { Action: unknown; Condition: { StringEquals: unknown } }[] }
        | undefined;
      return trust?.Statement.map((s) => s.Condition.StringEquals);
    };
    const names = (fns: string[]) =>
      REGIONS.flatMap((r) =>
        fns.map((fn) => ({
          'Fn::Join': [
            '',
            ['arn:aws:iam::', { Ref: 'LifeboatAccountId' }, `:role/lifeboat/lifeboat-${fn}-${r}`],
          ],
        })),
      );
    // Assess: no path wildcard, no other role of the tooling account (ingress, health)
    expect(trusted('WorkloadRole')).toEqual([
      {
        'sts:ExternalId': { Ref: 'ExternalId' },
        'aws:PrincipalArn': names(['start-step', 'poll-step']),
      },
      // A run's session carries its plan: one of the account's, by the same callers.
      {
        'aws:PrincipalArn': names(['start-step', 'poll-step']),
        'aws:RequestTag/lifeboat:plan': { Ref: 'PlanIds' },
      },
    ]);
    expect(trusted('ReadOnlyRole')).toEqual([
      {
        'sts:ExternalId': { Ref: 'ExternalId' },
        // and people onboarding a customer (plan validate --live), by the role's fixed name
        'aws:PrincipalArn': [
          ...names(['notifier', 'incident-task']),
          {
            'Fn::Join': [
              '',
              ['arn:aws:iam::', { Ref: 'LifeboatAccountId' }, ':role/lifeboat/lifeboat-onboarding'],
            ],
          },
        ],
      },
    ]);
    expect(JSON.stringify(role('WorkloadRole'))).not.toContain('role/lifeboat/*');
    expect(JSON.stringify(role('WorkloadRole'))).toContain(
      '"Action":["sts:AssumeRole","sts:SetSourceIdentity"]',
    );
  });

  it('lets a session of the recovery role carry the plan tag and no other; the read-only role no tag at all', () => {
    // Prepare
    const tagging = (prefix: string) => {
      const trust = role(prefix)?.Properties.AssumeRolePolicyDocument as
        | { Statement: { Action: unknown; Condition: Record<string, unknown> }[] }
        | undefined;
      return trust?.Statement.filter((s) => [s.Action].flat().includes('sts:TagSession')) ?? [];
    };
    // Assess
    const [tagSession, ...more] = tagging('WorkloadRole');
    expect(more).toEqual([]);
    expect(tagSession?.Action).toBe('sts:TagSession');
    expect(tagSession?.Condition['ForAllValues:StringEquals']).toEqual({
      'aws:TagKeys': ['lifeboat:plan'],
    });
    expect(tagging('ReadOnlyRole')).toEqual([]);
  });

  it("puts the session's plan tag condition on every action that changes a DRS, EC2 or SSM resource", () => {
    // Prepare: the statements that act, and what else holds each that has no tag condition
    const acting = statementsOf('WorkloadRole');
    // The session's plan, not any plan of the account: a shared account's other plans are out of reach.
    const planTag = { 'aws:ResourceTag/lifeboat:plan': `\${aws:PrincipalTag/lifeboat:plan}` };
    const otherwiseHeld: Record<string, string> = {
      DrsTagOnlyOnCreate: 'drs:CreateAction',
      Ec2OnlyThroughDrs: 'aws:CalledVia',
      PassOnlyDrsInstanceRolesToEc2: 'iam:PassedToService',
      SsmPlanDocuments: 'document name prefix',
    };
    const destructive = /^(drs|ec2|ssm):(?!Describe|Get|List)/;
    // Assess
    for (const [sid, statement] of acting) {
      if (!actions(statement).some((a) => destructive.test(a))) continue;
      if (sid in otherwiseHeld) continue;
      expect(statement.Condition?.StringEquals, sid).toMatchObject(planTag);
    }
    expect(acting.get('Ec2PlanInstances')?.Action).toEqual([
      'ec2:ModifyInstanceAttribute',
      'ec2:StopInstances',
    ]);
    expect(acting.get('DrsTagOnlyOnCreate')?.Condition).toEqual({
      StringEquals: { 'drs:CreateAction': ['StartRecovery', 'CreateRecoveryInstanceForDrs'] },
    });
  });

  it("limits Route 53 changes to UPSERTs of the plan's record names and types in its zones", () => {
    // Assess
    expect(statementsOf('WorkloadRole').get('Route53UpsertPlanRecords')).toMatchObject({
      when: 'HasHostedZones',
      Action: 'route53:ChangeResourceRecordSets',
      Condition: {
        'ForAllValues:StringEquals': {
          'route53:ChangeResourceRecordSetsNormalizedRecordNames': { Ref: 'RecordNames' },
          'route53:ChangeResourceRecordSetsRecordTypes': { Ref: 'RecordTypes' },
          'route53:ChangeResourceRecordSetsActions': ['UPSERT'],
        },
      },
    });
  });

  it('keeps stack hooks in the Lifeboat namespace: lifeboat-* stacks, created with the managed tag from the template bucket and no service role, updated and deleted only when tagged', () => {
    // Prepare
    const acting = statementsOf('WorkloadRole');
    const hooks = ['StackHookCreate', 'StackHookUpdate', 'StackHookDelete'].map((sid) =>
      acting.get(sid),
    );
    // Assess
    for (const hook of hooks) {
      expect(hook?.when).toBe('HasStackHooks');
      expect(JSON.stringify(hook?.Resource)).toContain(':stack/lifeboat-*/*');
      expect(hook?.Condition?.Null).toEqual({ 'cloudformation:RoleArn': 'true' });
    }
    const [create, update, remove] = hooks;
    expect(create?.Condition?.StringEquals).toEqual({ 'aws:RequestTag/lifeboat:managed': 'true' });
    expect(update?.Condition?.StringEquals).toEqual({ 'aws:ResourceTag/lifeboat:managed': 'true' });
    expect(remove?.Condition?.StringEquals).toEqual({ 'aws:ResourceTag/lifeboat:managed': 'true' });
    for (const hook of [create, update]) {
      const templates = JSON.stringify(hook?.Condition?.StringLike?.['cloudformation:TemplateUrl']);
      expect(templates).toContain('{"Ref":"StackTemplateBucket"}');
      expect(templates).toContain('.s3.amazonaws.com/*');
      expect(templates).not.toMatch(/"https:\/\/\*|s3\.\*\./);
    }
    expect(remove?.Condition?.StringLike).toBeUndefined();
  });

  it('gives the read-only role reads only', () => {
    // Assess
    const reading = [...statementsOf('ReadOnlyRole').values()].flatMap(actions);
    expect(reading.length).toBeGreaterThan(5);
    for (const action of reading) expect(action).toMatch(/^[a-z0-9-]+:(Describe|Get|List)/);
  });

  it("grants '*' only to the statements that cannot name a resource, each with exactly these actions", async () => {
    // Prepare: a statement that gains an action must change this list, and its reason with it
    const wildcard = [
      ...statementsOf('WorkloadRole').values(),
      ...statementsOf('ReadOnlyRole').values(),
    ].filter((s) => s.Resource === '*');
    const bySid = Object.fromEntries(wildcard.map((s) => [s.Sid, actions(s)]));
    // Assess
    expect(bySid).toEqual({
      DrsList: [
        'drs:DescribeJobs',
        'drs:DescribeRecoveryInstances',
        'drs:DescribeSourceServers',
        'drs:ListTagsForResource',
      ],
      Ec2List: [
        'ec2:DescribeInstanceStatus',
        'ec2:DescribeInstances',
        'ec2:DescribeSecurityGroups',
        'ec2:DescribeSubnets',
      ],
      SsmList: ['ssm:DescribeInstanceInformation', 'ssm:GetCommandInvocation', 'ssm:ListCommands'],
      Ec2OnlyThroughDrs: EC2_FOR_DRS,
    });
    // Each acknowledgment says these have no resource type: IAM's own data agrees.
    for (const sid of ['DrsList', 'Ec2List', 'SsmList'])
      for (const action of bySid[sid] ?? []) {
        const [service = '', name = ''] = action.split(':');
        expect(await isWildcardOnlyAction(service, name), action).toBe(true);
      }
  });

  it("passes cdk-nag, every wildcard acknowledged on its own statement's policy, none in vain", () => {
    // Prepare
    const findings = everyNagFinding(app);
    const acks = acknowledgments(app).filter((a) => a.id.startsWith('AwsSolutions-'));
    // Assess
    expect(unacknowledgedNagFindings(app)).toEqual([]);
    expect(findings.length).toBeGreaterThan(10);
    for (const ack of acks) {
      expect(ack.path, ack.id).toMatch(/\/(WorkloadRole|ReadOnlyRole)\/[A-Za-z0-9]+$/);
      expect(
        findings.some((f) => f.id === ack.id && f.path.startsWith(ack.path)),
        `${ack.path} ${ack.id}`,
      ).toBe(true);
    }
    // The conditional statements are analysed too: they are policies of their own.
    expect(acks.some((a) => a.path.endsWith('/StackHookDelete'))).toBe(true);
  });

  it("deploys within IAM's 10,240 characters of inline policy per role for every sample account", async () => {
    // Prepare
    const plans = await new FilePlanSource(SAMPLE_PLANS).loadAll();
    const template = await synthesizedWorkloadTemplate();
    // Act
    const sizes = plans.flatMap((plan) =>
      deployedRoles(template, workloadRoleParameters([plan]), plan.account.id).map((role) =>
        role.policies.reduce((n, p) => n + JSON.stringify(p.document).length, 0),
      ),
    );
    // Assess: record names grow it; an account whose plans list many needs a managed policy
    expect(Math.max(...sizes)).toBeLessThan(10_240);
    expect(Math.min(...sizes)).toBeGreaterThan(1_000);
  });
});
