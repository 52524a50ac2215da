import { beforeAll, describe, expect, it } from 'vitest';
import {
  checkOnboarding,
  type InstanceSeen,
  type OnboardingReading,
  type PlannedInstance,
  plannedInstances,
  planTagMismatch,
  type SourceServerSeen,
} from '../../../orchestrator/domain/onboarding.ts';
import type { Plan } from '../../../orchestrator/domain/plan.ts';
import { readSample } from '../../helpers.ts';

const TAG = 'lifeboat:plan';

describe('planTagMismatch', () => {
  it.each([
    ['the plan’s tag', { [TAG]: 'dmnt' }, undefined],
    ['no tags at all', undefined, 'untagged'],
    ['other tags only', { Name: 'x' }, 'untagged'],
    ['an empty value', { [TAG]: '' }, 'untagged'],
    ['another plan’s value', { [TAG]: 'bcbsaz' }, 'lifeboat:plan=bcbsaz'],
  ])('%s: %s', (_, tags, expected) => {
    expect(planTagMismatch('dmnt', tags)).toBe(expected);
  });
});

/** dmnt's account as onboarding should leave it: every resource where the plan says, tagged. */
function onboarded(plan: Plan): OnboardingReading {
  const id = plan.customer.id;
  const sourceServers = new Map<string, SourceServerSeen>(
    plan.servers.map((s, i) => [
      s.name,
      {
        sourceServerId: `s-${String(i).padStart(17, '0')}`,
        arn: `arn:aws:drs:${plan.regions.recovery}:${plan.account.id}:source-server/s-${String(i).padStart(17, '0')}`,
        tags: { [TAG]: id },
        originInstanceId: s.primary.instanceId,
      },
    ]),
  );
  const instances = { primary: new Map(), recovery: new Map() } as Record<
    'primary' | 'recovery',
    Map<string, InstanceSeen>
  >;
  for (const planned of plannedInstances(plan))
    instances[planned.side].set(planned.instanceId, {
      instanceId: planned.instanceId,
      state: planned.side === 'primary' ? 'running' : 'stopped',
      tags: { [TAG]: id },
    });
  const agentsOnline = new Set(plan.servers.map((s) => s.primary.instanceId));
  return { sourceServers, sourceServersInPrimary: new Map(), instances, agentsOnline };
}

type Change = (reading: OnboardingReading, plan: Plan) => void;

const server = (plan: Plan, i: number) => {
  const found = plan.servers[i];
  if (!found) throw new Error(`no server ${i}`);
  return found;
};
const mutable = (reading: OnboardingReading) =>
  reading as {
    sourceServers: Map<string, SourceServerSeen>;
    sourceServersInPrimary: Map<string, SourceServerSeen>;
    instances: Record<'primary' | 'recovery', Map<string, InstanceSeen>>;
    agentsOnline: Set<string>;
  };
const retag = (seen: InstanceSeen | undefined, tags: Record<string, string>) => {
  if (seen) seen.tags = tags;
};

describe('checkOnboarding', () => {
  let plan: Plan;
  beforeAll(async () => {
    plan = await readSample('dmnt');
  });

  it('finds nothing wrong in an account onboarding finished, and counts what it checked', () => {
    // Act
    const result = checkOnboarding(plan, onboarded(plan));
    // Assess
    expect(result.problems).toEqual([]);
    expect(result.checked).toEqual({
      sourceServers: plan.servers.length,
      instances: plannedInstances(plan).length,
      agents: plan.servers.length,
    });
  });

  const cases: [string, Change, Record<string, unknown>][] = [
    [
      'a source server without the plan tag',
      (r, p) => {
        const found = r.sourceServers.get(server(p, 1).name);
        if (found) (found as { tags: Record<string, string> }).tags = { Name: 'x' };
      },
      {
        code: 'plan-tag',
        path: 'servers[1].drs',
        resource: expect.stringMatching(/^arn:aws:drs:us-west-1:\d{12}:source-server\/s-/),
        message: expect.stringMatching(
          /dmnt-app-01: DRS source server s-\w+ in us-west-1 is not tagged lifeboat:plan/,
        ),
        fix: expect.stringMatching(
          /^aws drs tag-resource --region us-west-1 --resource-arn arn:aws:drs:\S+ --tags lifeboat:plan=dmnt$/,
        ),
      },
    ],
    [
      'a source server tagged for another plan',
      (r, p) => {
        const found = r.sourceServers.get(server(p, 0).name);
        if (found) (found as { tags: Record<string, string> }).tags = { [TAG]: 'bcbsaz' };
      },
      {
        code: 'plan-tag',
        message: expect.stringContaining("tagged lifeboat:plan=bcbsaz, another plan's, not dmnt's"),
      },
    ],
    [
      'a source server DRS does not list',
      (r, p) => mutable(r).sourceServers.delete(server(p, 2).name),
      {
        code: 'source-server-missing',
        path: 'servers[2].drs',
        region: 'us-west-1',
        fix: expect.stringContaining('install the DRS agent on'),
      },
    ],
    [
      'a source server replicating into the primary region',
      (r, p) => {
        const name = server(p, 2).name;
        const found = r.sourceServers.get(name);
        mutable(r).sourceServers.delete(name);
        if (found) mutable(r).sourceServersInPrimary.set(name, found);
      },
      { code: 'source-server-region', region: 'us-west-2' },
    ],
    [
      'a source server replicating another instance than the plan says',
      (r, p) => {
        const found = r.sourceServers.get(server(p, 3).name);
        if (found) (found as { originInstanceId: string }).originInstanceId = 'i-0123456789abcdef0';
      },
      {
        code: 'source-server-origin',
        path: 'servers[3].primary.instanceId',
        message: expect.stringContaining('replicates i-0123456789abcdef0, not'),
      },
    ],
    [
      'a pre-created instance that does not exist',
      (r, p) => mutable(r).instances.recovery.delete(server(p, 0).recovery.instanceId),
      {
        code: 'instance-missing',
        path: 'servers[0].recovery.instanceId',
        region: 'us-west-1',
        fix: expect.stringMatching(
          /^pre-create the recovery instance in us-west-1 \(tagged lifeboat:plan=dmnt/,
        ),
      },
    ],
    [
      'a source instance in the recovery region instead',
      (r, p) => {
        const id = server(p, 1).primary.instanceId;
        const found = r.instances.primary.get(id);
        mutable(r).instances.primary.delete(id);
        if (found) mutable(r).instances.recovery.set(id, found);
        mutable(r).agentsOnline.delete(id);
      },
      {
        code: 'instance-region',
        path: 'servers[1].primary.instanceId',
        message: expect.stringContaining('is in us-west-1, not in us-west-2'),
      },
    ],
    [
      'a source instance without the plan tag',
      (r, p) => retag(r.instances.primary.get(server(p, 4).primary.instanceId), {}),
      {
        code: 'plan-tag',
        path: 'servers[4].primary.instanceId',
        fix: expect.stringMatching(
          /^aws ec2 create-tags --region us-west-2 --resources i-\w+ --tags Key=lifeboat:plan,Value=dmnt$/,
        ),
      },
    ],
    [
      'a pre-created instance tagged for another plan',
      (r, p) =>
        retag(r.instances.recovery.get(server(p, 0).recovery.instanceId), { [TAG]: 'other' }),
      {
        code: 'plan-tag',
        path: 'servers[0].recovery.instanceId',
        region: 'us-west-1',
        message: expect.stringContaining("tagged lifeboat:plan=other, another plan's, not dmnt's"),
      },
    ],
    [
      'a running source instance whose SSM agent is not online',
      (r, p) => mutable(r).agentsOnline.delete(server(p, 2).primary.instanceId),
      { code: 'ssm-agent', path: 'servers[2].primary.instanceId', region: 'us-west-2' },
    ],
  ];

  it.each(cases)('reports %s, with its fix', (_, change, expected) => {
    // Prepare
    const reading = onboarded(plan);
    change(reading, plan);
    // Act
    const { problems } = checkOnboarding(plan, reading);
    // Assess
    expect(problems).toEqual([expect.objectContaining(expected)]);
  });

  it("asks nothing of a stopped source instance's agent", () => {
    // Prepare
    const reading = onboarded(plan);
    const id = server(plan, 2).primary.instanceId;
    const seen = reading.instances.primary.get(id);
    if (seen) seen.state = 'stopped';
    mutable(reading).agentsOnline.delete(id);
    // Act
    const result = checkOnboarding(plan, reading);
    // Assess
    expect(result.problems).toEqual([]);
    expect(result.checked.agents).toBe(plan.servers.length - 1);
  });
});

describe('plannedInstances', () => {
  it("lists servers' two sides and SSM hooks' own instances, each once, with their paths", async () => {
    // Prepare
    const plan = await readSample('bcbsaz');
    // Act
    const planned = plannedInstances(plan);
    // Assess
    expect(planned).toHaveLength(plan.servers.length * 2 + 2);
    expect(planned.filter((p) => !p.server)).toEqual<PlannedInstance[]>([
      {
        instanceId: 'i-0967380ea8a0a079c',
        side: 'primary',
        path: expect.stringMatching(
          /^waves\[\d+\]\.(pre|post)Hooks\[\d+\]\.instances\.primary\[0\]$/,
        ),
      },
      {
        instanceId: 'i-08f18eeb04c7708ca',
        side: 'recovery',
        path: expect.stringMatching(
          /^waves\[\d+\]\.(pre|post)Hooks\[\d+\]\.instances\.recovery\[0\]$/,
        ),
      },
    ]);
  });
});
