import { describe, expect, it } from 'vitest';
import { UnsupportedOperationError } from '../../../orchestrator/domain/errors.ts';
import type { Operation, Plan } from '../../../orchestrator/domain/plan.ts';
import { parsePlan } from '../../../orchestrator/domain/plan-rules.ts';
import { planRunbook } from '../../../orchestrator/domain/plan-runbook.ts';
import { RunbookSchema, type Step, type StepOf } from '../../../orchestrator/domain/runbook.ts';
import { RunbookSettingsSchema } from '../../../orchestrator/domain/settings.ts';
import { readSample, readTiny } from '../../helpers.ts';

const kinds = (steps: Step[]) =>
  steps.map((s) => (s.kind === 'gate' ? `gate:${s.gate}` : s.kind)).join(' ');
const waves = (steps: Step[]) =>
  steps.filter((s): s is StepOf<'recover-wave'> => s.kind === 'recover-wave');

const HRP_FAILOVER_44 =
  'stop-instances wait-replication recover-wave ssm-command ssm-command recover-wave recover-wave recover-wave recover-wave dns lambda-hook ssm-command ssm-command reverse-replication';
const HRP_FAILOVER_10 =
  'stop-instances wait-replication recover-wave recover-wave recover-wave recover-wave dns lambda-hook ssm-command reverse-replication';
const GC_FAILOVER =
  'stop-instances wait-replication recover-wave ssm-command ssm-command stack recover-wave recover-wave dns lambda-hook ssm-command reverse-replication';
const GC_BUBBLE =
  'recover-wave ssm-command gate:manual recover-wave recover-wave ssm-command gate:sign-off terminate-drill-instances';

/** customer, operation asked, operation planned, region that runs it, the steps between approval and report. */
const CASES: [string, Operation, Operation, string, string][] = [
  ['bcbsaz', 'drill', 'drill', 'us-east-2', `${HRP_FAILOVER_44} gate:sign-off ${HRP_FAILOVER_44}`],
  ['bcbsaz', 'failover', 'failover', 'us-east-2', HRP_FAILOVER_44],
  ['bcbsaz', 'failback', 'failback', 'us-east-1', HRP_FAILOVER_44],
  ['dmnt', 'drill', 'drill', 'us-west-1', `${HRP_FAILOVER_10} gate:sign-off ${HRP_FAILOVER_10}`],
  ['dmnt', 'failover', 'failover', 'us-west-1', HRP_FAILOVER_10],
  ['dmnt', 'failback', 'failback', 'us-west-2', HRP_FAILOVER_10],
  ['nwhealth', 'drill', 'bubble-drill', 'us-east-2', GC_BUBBLE],
  ['nwhealth', 'bubble-drill', 'bubble-drill', 'us-east-2', GC_BUBBLE],
  ['nwhealth', 'failover', 'failover', 'us-east-2', GC_FAILOVER],
  ['nwhealth', 'failback', 'failback', 'us-east-1', GC_FAILOVER],
];

describe.each(CASES)(
  'planRunbook(%s, %s)',
  (customer, operation, planned, executionRegion, middle) => {
    const load = async () => {
      const plan = await readSample(customer);
      return { plan, runbook: planRunbook(plan, operation) };
    };

    it(`plans a ${planned} run from ${executionRegion}: pre-flight, approval, the runbook, report`, async () => {
      // Act
      const { runbook } = await load();
      // Assess
      expect(runbook.operation).toBe(planned);
      expect(runbook.executionRegion).toBe(executionRegion);
      expect(kinds(runbook.steps)).toBe(`preflight gate:approval ${middle} report`);
      expect(() => RunbookSchema.parse(runbook)).not.toThrow();
    });

    it('asks the plan’s approvers for the plan’s count, never the requester', async () => {
      const { plan, runbook } = await load();
      const approval = runbook.steps[1] as StepOf<'gate'>;
      expect(approval.principals).toEqual(plan.access.approvers);
      expect(approval.required).toBe(plan.access.approvals[planned]);
      expect(approval.excludeRequester).toBe(true);
    });

    it('gives every step a unique id', async () => {
      const { runbook } = await load();
      const ids = runbook.steps.map((s) => s.id);
      expect(new Set(ids).size).toBe(ids.length);
    });

    it('recovers every server exactly once per direction, in wave order, within DRS job quotas', async () => {
      const { plan, runbook } = await load();
      const directions = planned === 'drill' ? 2 : 1;
      const recovered = waves(runbook.steps).flatMap((w) =>
        w.bootGroups.flatMap((g) => g.batches.flat(2)),
      );
      expect(recovered.length).toBe(plan.servers.length * directions);
      const once = recovered.slice(0, plan.servers.length);
      expect(once).toEqual(plan.waves.flatMap((w) => orderInWave(plan, w.name)));
      for (const job of waves(runbook.steps).flatMap((w) =>
        w.bootGroups.flatMap((g) => g.batches.flat()),
      )) {
        expect(job.length).toBeLessThanOrEqual(100);
      }
    });
  },
);

function orderInWave(plan: Plan, wave: string): string[] {
  const steps = planRunbook(plan, 'failover').steps;
  return (
    waves(steps)
      .find((w) => w.wave === wave)
      ?.bootGroups.flatMap((g) => g.servers.map((s) => s.name)) ?? []
  );
}

describe('planRunbook rules', () => {
  it('makes every step that needs the primary region best effort in a real failover, and no other', async () => {
    // Prepare
    const plan = await readSample('bcbsaz');
    // Act
    const steps = planRunbook(plan, 'failover').steps;
    // Assess
    const bestEffort = steps.filter((s) => s.bestEffort).map((s) => s.id);
    expect(bestEffort).toEqual([
      'failover.stop-sources',
      'failover.wait-replication',
      'failover.reverse-replication',
    ]);
    const inPrimary = steps.filter((s) => s.region === 'us-east-1');
    expect(inPrimary.length).toBeGreaterThan(0);
    expect(inPrimary.every((s) => s.bestEffort)).toBe(true);
    const preflight = steps[0] as StepOf<'preflight'>;
    expect(preflight.advisory).toContain('primary-reachable');
    const wait = steps.find((s) => s.kind === 'wait-replication');
    expect(wait?.timeoutSeconds).toBe(600);
  });

  it('makes nothing best effort in a drill: a drill is a failover that must prove itself', async () => {
    const steps = planRunbook(await readSample('bcbsaz'), 'drill').steps;
    expect(steps.filter((s) => s.bestEffort)).toEqual([]);
    expect((steps[0] as StepOf<'preflight'>).advisory).toEqual([]);
  });

  it('recovers into the pre-created instances, then back into the originals', async () => {
    const plan = await readSample('bcbsaz');
    const [out, back] = [
      waves(planRunbook(plan, 'failover').steps)[0],
      waves(planRunbook(plan, 'failback').steps)[0],
    ];
    const ora = plan.servers.find((s) => s.name === 'bcbsaz-ora-01');
    expect(out?.launchInto).toBe('pre-created');
    expect(out?.isDrill).toBe(false);
    expect(out?.bootGroups[0]?.servers[0]).toMatchObject({
      name: 'bcbsaz-ora-01',
      launchInto: ora?.recovery.instanceId,
      ip: '10.140.10.11',
    });
    expect(back?.launchInto).toBe('original');
    expect(back?.region).toBe('us-east-1');
    expect(back?.bootGroups[0]?.servers[0]).toMatchObject({
      launchInto: ora?.primary.instanceId,
      ip: '10.40.10.11',
    });
  });

  it('moves failover records with the routing controls (target On, other Off) and back, with no record change', async () => {
    const plan = await readSample('bcbsaz');
    const [out, back] = planRunbook(plan, 'drill').steps.filter(
      (s): s is StepOf<'dns'> => s.kind === 'dns',
    );
    expect(out).toMatchObject({
      target: 'recovery',
      records: plan.dns?.records.length,
      changes: [],
      routing: [
        { name: 'bcbsaz-us-east-2', state: 'On' },
        { name: 'bcbsaz-us-east-1', state: 'Off' },
      ],
    });
    expect(back).toMatchObject({
      target: 'primary',
      changes: [],
      routing: [
        { name: 'bcbsaz-us-east-1', state: 'On' },
        { name: 'bcbsaz-us-east-2', state: 'Off' },
      ],
    });
  });

  it('rewrites change-mode records in both private zones, to the recovery values and back', async () => {
    const plan = await readSample('bcbsaz');
    const dns = plan.dns;
    if (!dns) throw new Error('bcbsaz has DNS');
    const changed = {
      ...plan,
      dns: { ...dns, records: dns.records.map((r) => ({ ...r, mode: 'change' as const })) },
    };
    const [out, back] = planRunbook(changed, 'drill').steps.filter(
      (s): s is StepOf<'dns'> => s.kind === 'dns',
    );
    expect(out?.routing).toEqual([]);
    expect(out?.changes).toHaveLength(dns.records.length * 2);
    expect(out?.changes).toContainEqual({
      zoneId: 'Z04BCBSAZUSE2',
      name: 'ora01.bcbsaz.hrp.internal',
      type: 'A',
      ttl: 60,
      value: '10.140.10.11',
    });
    expect(out?.changes).toContainEqual(
      expect.objectContaining({
        zoneId: 'Z04BCBSAZUSE1',
        name: 'webui.bcbsaz.hrp.internal',
        value: expect.stringContaining('us-east-2'),
      }),
    );
    expect(back?.target).toBe('primary');
    expect(back?.changes).toContainEqual(
      expect.objectContaining({ name: 'ora01.bcbsaz.hrp.internal', value: '10.40.10.11' }),
    );
    // Pre-flight warns: a plan whose primary is us-east-1 cannot flip these without us-east-1.
    const preflight = planRunbook(changed, 'failover').steps.find((s) => s.kind === 'preflight');
    expect(preflight).toMatchObject({
      checks: expect.arrayContaining(['dns-control-plane']),
      advisory: expect.arrayContaining(['dns-control-plane']),
      changeRecords: dns.records.map((r) => r.name),
      routing: [],
    });
  });

  it('runs hooks only in their phases and on the side the phase works on', async () => {
    const plan = await readSample('nwhealth');
    const failover = planRunbook(plan, 'failover').steps;
    const failback = planRunbook(plan, 'failback').steps;
    const dag = (steps: Step[]) =>
      steps.find(
        (s): s is StepOf<'ssm-command'> =>
          s.kind === 'ssm-command' && s.hook === 'sql-dag-failover',
      );
    expect(dag(failover)?.targets).toEqual([{ instanceId: 'i-0f0c9ee063c2c5c42' }]);
    expect(dag(failback)?.targets).toEqual([{ instanceId: 'i-0cf175e873bb15135' }]);
    expect(failover.find((s) => s.kind === 'stack')).toMatchObject({
      action: 'deploy',
      stackName: 'lifeboat-nwhealth-valkey-dr',
      bestEffort: false,
    });
    expect(failback.find((s) => s.kind === 'stack')).toMatchObject({
      action: 'delete',
      bestEffort: true,
    });
    const reconfig = failback.find(
      (s): s is StepOf<'ssm-command'> =>
        s.kind === 'ssm-command' && s.hook === 'mongo-force-reconfig',
    );
    expect(reconfig?.targets[0]?.instanceId).toBe(
      plan.servers.find((s) => s.name === 'nwhealth-mongo-01')?.primary.instanceId,
    );
  });

  it('keeps a bubble drill away from production: drill launches into the isolated subnet, no stop, no DNS', async () => {
    const plan = await readSample('nwhealth');
    const steps = planRunbook(plan, 'bubble-drill').steps;
    expect(
      steps.some((s) => ['stop-instances', 'dns', 'reverse-replication', 'stack'].includes(s.kind)),
    ).toBe(false);
    expect(waves(steps)).toHaveLength(plan.waves.length);
    for (const wave of waves(steps)) {
      expect(wave).toMatchObject({
        isDrill: true,
        launchInto: 'isolated',
        isolated: plan.drill.isolated,
      });
      expect(
        wave.bootGroups.flatMap((g) => g.servers).every((s) => s.launchInto === undefined),
      ).toBe(true);
    }
    expect(steps.some((s) => s.kind === 'ssm-command' && s.hook === 'sql-dag-failover')).toBe(
      false,
    );
    expect((steps[0] as StepOf<'preflight'>).checks).toContain('isolated-network');
  });

  it('refuses a bubble drill for a customer without an isolated network', async () => {
    const plan = await readSample('bcbsaz');
    expect(() => planRunbook(plan, 'bubble-drill')).toThrow(UnsupportedOperationError);
    expect(() => planRunbook(plan, 'bubble-drill')).toThrow(/bcbsaz.*drill\.isolated/);
  });

  it('asks for two approvals where the plan says so', async () => {
    const plan = await readSample('nwhealth');
    expect((planRunbook(plan, 'failover').steps[1] as StepOf<'gate'>).required).toBe(2);
    expect((planRunbook(plan, 'drill').steps[1] as StepOf<'gate'>).required).toBe(1);
  });

  it('splits a 250-server wave into balanced DRS jobs and honours tighter settings', async () => {
    // Prepare: the tiny plan with 250 more web servers in its last wave (251 in all)
    const raw = await readTiny();
    const servers = raw.servers as Record<string, unknown>[];
    const web = raw.waves as { servers: string[] }[];
    for (let i = 0; i < 250; i++) {
      const octet = i + 1;
      servers.push({
        name: `bulk-${i}`,
        role: 'web',
        drs: { tags: { Name: `bulk-${i}` } },
        primary: { instanceId: `i-0c${String(i).padStart(15, '0')}`, ip: `10.1.100.${octet}` },
        recovery: { instanceId: `i-0d${String(i).padStart(15, '0')}`, ip: `10.2.100.${octet}` },
      });
      web[2]?.servers.push(`bulk-${i}`);
    }
    const plan = parsePlan(raw, 'bulk');
    // Act
    const wave = waves(planRunbook(plan, 'failover').steps).find((w) => w.wave === 'web');
    const tight = waves(
      planRunbook(
        plan,
        'failover',
        RunbookSettingsSchema.parse({ maxServersPerJob: 50, maxConcurrentJobs: 2 }),
      ).steps,
    ).find((w) => w.wave === 'web');
    // Assess
    expect(wave?.bootGroups[0]?.batches.map((b) => b.map((j) => j.length))).toEqual([[84, 84, 83]]);
    expect(tight?.bootGroups[0]?.batches.map((b) => b.map((j) => j.length))).toEqual([
      [42, 42],
      [42, 42],
      [42, 41],
    ]);
    // tiny-web-01's dependency is in an earlier wave, so the whole wave is one boot group
    expect(wave?.bootGroups).toHaveLength(1);
  });

  it('gives the wave timeout to each boot group', async () => {
    const plan = await readSample('bcbsaz');
    const app = waves(planRunbook(plan, 'failover').steps).find((w) => w.wave === 'application');
    expect(app?.bootGroups).toHaveLength(3);
    expect(app?.timeoutSeconds).toBe(3 * 40 * 60);
  });
});
