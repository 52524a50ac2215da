import { copyFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { parseDeployConfig } from '../../infra/config/deploy-config.ts';
import { ArcRoutingControls } from '../../infra/constructs/arc-routing-controls.ts';
import { InvalidPropsError } from '../../infra/errors.ts';
import { failoverRecordOf } from '../../orchestrator/domain/routing.ts';
import { HandlerEnvSchema } from '../../orchestrator/handlers/env.ts';
import { ROOT, SAMPLE_PLANS } from '../helpers.ts';
import {
  acknowledgments,
  arcSection,
  everyNagFinding,
  grantsOf,
  type SynthesizedLifeboat,
  statementsOf,
  synthesizeLifeboat,
  unacknowledgedNagFindings,
} from './synthesize.ts';

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;
const ARC = arcSection();
const PANELS = Object.values(ARC.controlPanels);
const FLIP = [
  'route53-recovery-cluster:GetRoutingControlState',
  'route53-recovery-cluster:UpdateRoutingControlState',
  'route53-recovery-cluster:UpdateRoutingControlStates',
];

/** The sample plans, with bcbsaz's sqldw record moved by a record change instead. */
function plansWithAChangeRecord(): string {
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-arc-plans-'));
  for (const name of readdirSync(SAMPLE_PLANS).filter((f) => f.endsWith('.yaml')))
    copyFileSync(join(SAMPLE_PLANS, name), join(dir, name));
  const file = join(dir, 'bcbsaz.yaml');
  const text = readFileSync(file, 'utf8');
  const edited = text.replace(
    '- name: sqldw.bcbsaz.hrp.internal\n      type: CNAME',
    '- name: sqldw.bcbsaz.hrp.internal\n      mode: change\n      type: CNAME',
  );
  if (edited === text) throw new Error('the bcbsaz sample no longer has the sqldw record');
  writeFileSync(file, edited);
  return dir;
}

/** A whole-app synth takes seconds, more on a busy machine than the default hook timeout. */
const SYNTH_TIMEOUT = 120_000;

let lifeboat: SynthesizedLifeboat;
let routing: Template;
let resources: Resources;
const ofType = (type: string) =>
  Object.entries(resources).filter(([, r]) => r.Type === type) as [
    string,
    { Type: string; Properties: Record<string, unknown> },
  ][];

beforeAll(() => {
  const raw = parseDocument(readFileSync(join(ROOT, 'config', 'deploy.yaml'), 'utf8')).toJS();
  const config = parseDeployConfig({ ...raw, arc: ARC }, 'deploy.yaml + arc');
  lifeboat = synthesizeLifeboat({ config, plansDir: plansWithAChangeRecord() });
  routing = Template.fromStack(lifeboat.stacks.routing);
  resources = routing.toJSON().Resources as Resources;
}, SYNTH_TIMEOUT);

describe('DNS on ARC routing controls: the routing stack', () => {
  it('is in the tooling account, in us-west-2, and `cdk deploy --all` deploys it', () => {
    // Assess
    const stack = lifeboat.stacks.routing;
    expect([stack.account, stack.region]).toEqual([lifeboat.config.account, 'us-west-2']);
    expect(stack.terminationProtection).toBe(true);
    expect(lifeboat.app.node.children).toContain(stack);
  });

  it('has one cluster and one control panel per region pair, on it', () => {
    // Assess
    const clusters = ofType('AWS::Route53RecoveryControl::Cluster');
    expect(clusters.map(([, r]) => r.Properties.Name)).toEqual(['lifeboat']);
    const clusterArn = { 'Fn::GetAtt': [clusters[0]?.[0], 'ClusterArn'] };
    expect(
      ofType('AWS::Route53RecoveryControl::ControlPanel').map(([, r]) => ({
        Name: r.Properties.Name,
        ClusterArn: r.Properties.ClusterArn,
      })),
    ).toEqual([
      { Name: 'lifeboat-us-east-1-us-east-2', ClusterArn: clusterArn },
      { Name: 'lifeboat-us-west-2-us-west-1', ClusterArn: clusterArn },
    ]);
  });

  it("has two routing controls per customer, named by the convention, in its pair's panel", () => {
    // Prepare
    const panelOf = (name: string) =>
      ofType('AWS::Route53RecoveryControl::ControlPanel').find(
        ([, r]) => r.Properties.Name === name,
      )?.[0];
    const [clusterId] = ofType('AWS::Route53RecoveryControl::Cluster')[0] ?? [];
    const expected = [
      ['bcbsaz-us-east-1', 'lifeboat-us-east-1-us-east-2'],
      ['bcbsaz-us-east-2', 'lifeboat-us-east-1-us-east-2'],
      ['dmnt-us-west-2', 'lifeboat-us-west-2-us-west-1'],
      ['dmnt-us-west-1', 'lifeboat-us-west-2-us-west-1'],
      ['nwhealth-us-east-1', 'lifeboat-us-east-1-us-east-2'],
      ['nwhealth-us-east-2', 'lifeboat-us-east-1-us-east-2'],
    ];
    // Assess
    expect(
      ofType('AWS::Route53RecoveryControl::RoutingControl').map(([, r]) => r.Properties),
    ).toEqual(
      expected.map(([name, panel]) => ({
        Name: name,
        ClusterArn: { 'Fn::GetAtt': [clusterId, 'ClusterArn'] },
        ControlPanelArn: { 'Fn::GetAtt': [panelOf(panel as string), 'ControlPanelArn'] },
      })),
    );
  });

  it("keeps at least one of each customer's two controls On: an ATLEAST-1 assertion rule over exactly them", () => {
    // Prepare
    const controlOf = (name: string) => ({
      'Fn::GetAtt': [
        ofType('AWS::Route53RecoveryControl::RoutingControl').find(
          ([, r]) => r.Properties.Name === name,
        )?.[0],
        'RoutingControlArn',
      ],
    });
    const rules = ofType('AWS::Route53RecoveryControl::SafetyRule').map(([, r]) => r.Properties);
    // Assess
    expect(rules.map((r) => r.Name)).toEqual([
      'bcbsaz-one-side-on',
      'dmnt-one-side-on',
      'nwhealth-one-side-on',
    ]);
    for (const [customer, primary, recovery] of [
      ['bcbsaz', 'us-east-1', 'us-east-2'],
      ['dmnt', 'us-west-2', 'us-west-1'],
      ['nwhealth', 'us-east-1', 'us-east-2'],
    ] as const) {
      const rule = rules.find((r) => r.Name === `${customer}-one-side-on`);
      expect(rule).toMatchObject({
        RuleConfig: { Type: 'ATLEAST', Threshold: 1, Inverted: false },
        AssertionRule: {
          AssertedControls: [
            controlOf(`${customer}-${primary}`),
            controlOf(`${customer}-${recovery}`),
          ],
          WaitPeriodMs: expect.any(Number),
        },
      });
      expect(rule?.GatingRule).toBeUndefined();
      // In its pair's panel: the one its controls are in.
      const panel =
        resources[controlOf(`${customer}-${primary}`)['Fn::GetAtt'][0] as string]?.Properties
          .ControlPanelArn;
      expect(panel).toBeDefined();
      expect(rule?.ControlPanelArn).toEqual(panel);
    }
  });

  it('creates its ARC resources one at a time: ARC refuses concurrent changes to a cluster', () => {
    // Prepare
    const arc = Object.entries(
      routing.toJSON().Resources as Record<string, { Type: string; DependsOn?: string[] }>,
    ).filter(([, r]) => r.Type.startsWith('AWS::Route53RecoveryControl::'));
    // Assess: a chain from the cluster, every resource after the one before it
    const [first, ...rest] = arc;
    expect(first?.[1].Type).toBe('AWS::Route53RecoveryControl::Cluster');
    expect(rest.length).toBe(2 + 6 + 3);
    rest.forEach(([, resource], i) => {
      expect(resource.DependsOn).toContain(arc[i]?.[0]);
    });
  });

  it("shares the cluster over RAM with the customers' workload accounts, and no one else", () => {
    // Assess
    const [clusterId] = ofType('AWS::Route53RecoveryControl::Cluster')[0] ?? [];
    expect(ofType('AWS::RAM::ResourceShare').map(([, r]) => r.Properties)).toEqual([
      {
        Name: 'lifeboat-arc-cluster',
        ResourceArns: [{ 'Fn::GetAtt': [clusterId, 'ClusterArn'] }],
        Principals: ['410000000101', '410000000202', '420000000303'],
        AllowExternalPrincipals: true,
        Tags: [{ Key: 'project', Value: 'lifeboat' }],
      },
    ]);
  });

  it("outputs what the arc: section and the customers' templates need", () => {
    // Assess
    const outputs = routing.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(Object.keys(outputs).sort()).toEqual(
      [
        'ClusterArn',
        'ClusterEndpointsCommand',
        'lifeboatuseast1useast2ControlPanelArn',
        'lifeboatuswest2uswest1ControlPanelArn',
        ...['bcbsaz', 'dmnt', 'nwhealth'].flatMap((c) => [
          `${c}PrimaryRoutingControlArn`,
          `${c}RecoveryRoutingControlArn`,
        ]),
      ].sort(),
    );
    expect(JSON.stringify(outputs.ClusterEndpointsCommand?.Value)).toContain(
      'describe-cluster --region us-west-2',
    );
  });
});

describe("DNS on ARC routing controls: a customer's DNS template", () => {
  const template = () => {
    const stack = lifeboat.stacks.customerDns.get('bcbsaz');
    if (!stack) throw new Error('no DNS template for bcbsaz');
    return Template.fromStack(stack).toJSON() as {
      Parameters: Record<string, { Description: string }>;
      Resources: Resources;
    };
  };

  it('is one per customer with DNS, beside the role template, left out of `cdk deploy --all`', () => {
    // Assess
    expect([...lifeboat.stacks.customerDns.keys()]).toEqual(['bcbsaz', 'dmnt', 'nwhealth']);
    for (const stack of lifeboat.stacks.customerDns.values()) {
      expect(stack.node.scope).toBe(lifeboat.stacks.workloadRole.node.scope);
      expect(lifeboat.app.node.children).not.toContain(stack);
    }
  });

  it('takes the routing control ARNs as parameters, naming the routing stack outputs', () => {
    // Assess
    const { Parameters } = template();
    expect(Object.keys(Parameters).sort()).toEqual([
      'PrimaryRoutingControlArn',
      'RecoveryRoutingControlArn',
    ]);
    expect(Parameters.PrimaryRoutingControlArn?.Description).toContain(
      'bcbsazPrimaryRoutingControlArn of the Lifeboat-Routing stack',
    );
    expect(Parameters.RecoveryRoutingControlArn?.Description).toContain('bcbsaz-us-east-2');
  });

  it('has a RECOVERY_CONTROL health check per routing control', () => {
    // Assess
    const checks = Object.values(template().Resources).filter(
      (r) => r.Type === 'AWS::Route53::HealthCheck',
    );
    expect(checks.map((c) => c.Properties.HealthCheckConfig)).toEqual([
      { Type: 'RECOVERY_CONTROL', RoutingControlArn: { Ref: 'PrimaryRoutingControlArn' } },
      { Type: 'RECOVERY_CONTROL', RoutingControlArn: { Ref: 'RecoveryRoutingControlArn' } },
    ]);
  });

  it('has a PRIMARY and a SECONDARY record set per failover record and zone, none for record changes', () => {
    // Prepare
    const { Resources } = template();
    const checkOf = (arn: string) =>
      Object.entries(Resources).find(
        ([, r]) =>
          r.Type === 'AWS::Route53::HealthCheck' &&
          JSON.stringify(r.Properties.HealthCheckConfig).includes(arn),
      )?.[0];
    const bcbsaz = lifeboat.customers.find((c) => c.customerId === 'bcbsaz');
    const failover = bcbsaz?.dns?.records.filter((r) => r.mode === 'failover') ?? [];
    const expected = failover.flatMap((record) =>
      ['Z04BCBSAZUSE1', 'Z04BCBSAZUSE2'].flatMap((zone) =>
        (['primary', 'recovery'] as const).map((side) => ({
          HostedZoneId: zone,
          Name: `${record.name}.`,
          Type: record.type,
          TTL: String(record.ttl),
          ResourceRecords: [record.values[side]],
          SetIdentifier: failoverRecordOf(side).setIdentifier,
          Failover: failoverRecordOf(side).failover,
          HealthCheckId: {
            'Fn::GetAtt': [
              checkOf(
                side === 'primary' ? 'PrimaryRoutingControlArn' : 'RecoveryRoutingControlArn',
              ),
              'HealthCheckId',
            ],
          },
        })),
      ),
    );
    const records = Object.values(Resources)
      .filter((r) => r.Type === 'AWS::Route53::RecordSet')
      .map((r) => r.Properties);
    // Assess
    expect(failover).toHaveLength(9);
    expect(records).toHaveLength(9 * 2 * 2);
    expect(records).toEqual(expect.arrayContaining(expected));
    expect(records).toContainEqual(
      expect.objectContaining({
        Name: 'ora01.bcbsaz.hrp.internal.',
        HostedZoneId: 'Z04BCBSAZUSE2',
        Failover: 'SECONDARY',
        SetIdentifier: 'lifeboat-recovery',
        ResourceRecords: ['10.140.10.11'],
      }),
    );
    expect(records.some((r) => r.Name === 'sqldw.bcbsaz.hrp.internal.')).toBe(false);
  });
});

describe('DNS on ARC routing controls: the orchestrator', () => {
  const regionStacks = () => [...lifeboat.stacks.regions.values()];

  it('gives the task Lambdas the cluster endpoints, as their handler parses them', () => {
    for (const stack of regionStacks()) {
      // Prepare
      const functions = Object.values(
        Template.fromStack(stack).findResources('AWS::Lambda::Function'),
      ) as {
        Properties: { Description: string; Environment: { Variables: Record<string, string> } };
      }[];
      const tasks = functions.filter((f) => f.Properties.Description.startsWith('runbook task'));
      // Assess
      expect(tasks.length).toBeGreaterThan(5);
      for (const task of tasks) {
        const env = HandlerEnvSchema.parse({
          ...task.Properties.Environment.Variables,
          AWS_REGION: stack.region,
        });
        expect(env.LIFEBOAT_ARC_ENDPOINTS).toEqual(ARC.endpoints);
      }
    }
  });

  it("lets only the steps flip routing controls, of the deployment's control panels only; the notifier reads them", () => {
    for (const stack of regionStacks()) {
      // Prepare
      const json = Template.fromStack(stack).toJSON();
      const { startStep, pollStep, ...others } = stack.tasks.byHandler;
      // Assess
      for (const step of [startStep, pollStep]) {
        const statements = statementsOf(json, step.role).filter((s) =>
          [s.Action].flat().some((a) => a.startsWith('route53-recovery-cluster:')),
        );
        expect(statements).toEqual([
          {
            Effect: 'Allow',
            Action: FLIP,
            Resource: PANELS.map((panel) => `${panel}/routingcontrol/*`),
          },
          // IAM gives ListRoutingControls no resource type: it cannot be scoped.
          {
            Effect: 'Allow',
            Action: 'route53-recovery-cluster:ListRoutingControls',
            Resource: '*',
          },
        ]);
      }
      for (const task of Object.values(others))
        expect(
          grantsOf(json, task.role).filter(([a]) => a.startsWith('route53-recovery-cluster:')),
        ).toEqual([]);
      // The notifier's readiness checks read the states, and may not flip them.
      const notifier = statementsOf(json, stack.notifier.handler.role).filter((s) =>
        [s.Action].flat().some((a) => a.startsWith('route53-recovery-cluster:')),
      );
      expect(notifier).toEqual([
        {
          Effect: 'Allow',
          Action: 'route53-recovery-cluster:GetRoutingControlState',
          Resource: PANELS.map((panel) => `${panel}/routingcontrol/*`),
        },
        {
          Effect: 'Allow',
          Action: 'route53-recovery-cluster:ListRoutingControls',
          Resource: '*',
        },
      ]);
    }
  });

  it("passes cdk-nag's checks with every ARC finding acknowledged, none in vain", () => {
    // Assess
    expect(
      lifeboat.report.pluginReports
        .filter((r) => r.pluginName !== 'Construct Annotations')
        .flatMap((r) => r.violations),
    ).toEqual([]);
    expect(unacknowledgedNagFindings(lifeboat.app)).toEqual([]);
    const findings = everyNagFinding(lifeboat.app);
    const acks = acknowledgments(lifeboat.app);
    const arcAcks = acks.filter((a) =>
      /routingcontrol|ListRoutingControls/.test(`${a.id} ${a.reason}`),
    );
    // Per step role and the notifier's: a routing-control wildcard per panel, and ListRoutingControls' "*".
    expect(arcAcks.length).toBe((PANELS.length + 1) * 3 * lifeboat.stacks.regions.size);
    const inVain = acks.filter(
      (ack) =>
        ack.id.startsWith('AwsSolutions-') &&
        !findings.some(
          (f) => f.id === ack.id && (f.path === ack.path || f.path.startsWith(`${ack.path}/`)),
        ),
    );
    expect(inVain).toEqual([]);
  });

  it('says nothing about arc: once it is configured', () => {
    // Assess
    expect(
      lifeboat.report.pluginReports.flatMap((r) => r.violations as { ruleName: string }[]),
    ).not.toContainEqual(
      expect.objectContaining({ ruleName: 'Annotation::lifeboat:arc-not-configured' }),
    );
  });
});

describe('DNS on ARC routing controls: the construct', () => {
  it('refuses a customer whose two regions are no pair, naming it', () => {
    // Prepare
    const customer = {
      ...(lifeboat.customers[0] as SynthesizedLifeboat['customers'][number]),
      customerId: 'acme',
      regions: { primary: 'us-east-1', recovery: 'us-west-2' } as const,
    };
    // Act
    const act = () =>
      new ArcRoutingControls(new Stack(new App(), 'Routing'), 'Arc', {
        pairs: lifeboat.config.pairs,
        customers: [customer],
      });
    // Assess
    expect(act).toThrow(InvalidPropsError);
    expect(act).toThrow('customer "acme" fails over us-east-1 -> us-west-2, which is no pair');
  });
});
