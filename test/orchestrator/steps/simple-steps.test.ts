import { describe, expect, it } from 'vitest';
import { tinyRunbook } from '../../fixtures/report-runs.ts';
import { throttling } from '../../support/fake-aws.ts';
import { driveStep, fakeEstate, fakeStepContext, stepOf } from '../../support/step-context.ts';

const PRIMARY = 'us-east-1';
const RECOVERY = 'us-east-2';
const TINY = ['tiny-db-01', 'tiny-app-01', 'tiny-app-02', 'tiny-web-01'];

describe('stopInstances', () => {
  it.each([
    ['at the stop, when nobody declared it', undefined, 'stop-instances'],
    ['when it was declared', Date.UTC(2026, 0, 5, 2, 30), 'declared'],
  ])(
    'starts the disruption %s, and stops every instance not excluded',
    async (_, disruptionAt, source) => {
      // Prepare
      const runbook = await tinyRunbook('failover');
      const aws = fakeEstate(runbook);
      const { ctx, journaled } = fakeStepContext(aws, runbook, {
        excluded: ['tiny-web-01'],
        ...(disruptionAt ? { disruptionAt } : {}),
      });
      const startedAt = aws.now();
      // Act
      const { progress } = await driveStep(
        aws,
        ctx,
        stepOf(runbook, 'stop-instances', 'failover.stop-sources'),
      );
      // Assess
      expect(progress.status, progress.message).toBe('done');
      expect(journaled('disruption').map((e) => e.data)).toEqual([
        { at: disruptionAt ?? startedAt, source, side: 'primary' },
      ]);
      const states = [...aws.region(PRIMARY).ec2.instances.values()].map((i) => i.state);
      expect(states).toEqual(['stopped', 'stopped', 'stopped', 'running']);
    },
  );
});

describe('waitReplication', () => {
  it('times out naming the servers whose replication did not catch up', async () => {
    // Prepare
    const runbook = await tinyRunbook('drill');
    const aws = fakeEstate(runbook);
    aws.region(RECOVERY).drs.addServers(['tiny-app-01'], { lagSeconds: 40 });
    const { ctx } = fakeStepContext(aws, runbook);
    const step = stepOf(runbook, 'wait-replication', 'failover.wait-replication');
    // Act
    const { progress } = await driveStep(aws, ctx, step);
    // Assess
    expect(progress.status).toBe('failed');
    expect(progress.message).toBe(
      'Replication did not catch up in time for 1 servers: tiny-app-01 (CONTINUOUS)',
    );
  });
});

describe('reverseReplication', () => {
  it('keeps the servers already reversed when a call is throttled: each is reversed once', async () => {
    // Prepare: every server recovered, the third ReverseReplication throttled twice
    const runbook = await tinyRunbook('failover');
    const aws = fakeEstate(runbook);
    const { drs } = aws.region(RECOVERY);
    await drs.startRecovery(
      TINY.map((n) => `s-${n}`),
      false,
      {},
    );
    aws.advance(drs.launchSeconds);
    aws.region(RECOVERY).failOn('drs.ReverseReplication', throttling('drs', 'ReverseReplication'), {
      skip: 2,
      times: 2,
    });
    const { ctx, journaled } = fakeStepContext(aws, runbook);
    // Act
    const { progress, polls } = await driveStep(
      aws,
      ctx,
      stepOf(runbook, 'reverse-replication', 'failover.reverse-replication'),
    );
    // Assess
    expect(progress.status, progress.message).toBe('done');
    expect(polls).toBe(2);
    expect(drs.reversed).toHaveLength(4);
    expect(new Set(drs.reversed).size).toBe(4);
    expect(journaled('replication-reversed').map((e) => e.data)).toEqual([
      { direction: 'to-primary', servers: 4 },
    ]);
  });
});

describe('dns', () => {
  it('sets the routing controls in one call (target On, other Off), reads them back and journals when DNS answers', async () => {
    // Prepare
    const runbook = await tinyRunbook('failover');
    const aws = fakeEstate(runbook);
    const { ctx, journaled } = fakeStepContext(aws, runbook);
    const flipAt = aws.now();
    // Act
    const { progress } = await driveStep(aws, ctx, stepOf(runbook, 'dns', 'failover.dns'));
    // Assess
    expect(progress.status, progress.message).toBe('done');
    expect(aws.routing.updates).toHaveLength(1);
    expect(aws.routing.stateByName('tiny-us-east-2')).toBe('On');
    expect(aws.routing.stateByName('tiny-us-east-1')).toBe('Off');
    // Route 53's control plane is not touched
    expect(aws.region(RECOVERY).calls.filter((c) => c.startsWith('route53.'))).toEqual([]);
    expect(journaled('dns-changed').map((e) => e.data)).toEqual([
      {
        target: 'recovery',
        records: 2,
        insyncAt: aws.now(),
        answeredAt: flipAt,
        endpoint: 'us-east-1',
      },
    ]);
  });

  it("fails with ARC's reason when a safety rule refuses the change, and changes nothing", async () => {
    // Prepare
    const runbook = await tinyRunbook('failover');
    const aws = fakeEstate(runbook);
    aws.routing.refuse =
      'safety rule tiny-one-side-on requires at least 1 of [tiny-us-east-1, tiny-us-east-2] On';
    const { ctx, journaled } = fakeStepContext(aws, runbook);
    // Act
    const { progress } = await driveStep(aws, ctx, stepOf(runbook, 'dns', 'failover.dns'));
    // Assess
    expect(progress.status).toBe('failed');
    expect(progress.message).toMatch(
      /^ARC refused to set tiny-us-east-2 On and tiny-us-east-1 Off: safety rule tiny-one-side-on .* Nothing changed\.$/,
    );
    expect(aws.routing.stateByName('tiny-us-east-1')).toBe('On');
    expect(journaled('dns-changed')).toEqual([]);
  });

  it('fails naming the routing control the cluster lacks, before changing anything', async () => {
    const runbook = await tinyRunbook('failover');
    const aws = fakeEstate(runbook);
    aws.routing.controls.delete('tiny-us-east-2');
    const { ctx } = fakeStepContext(aws, runbook);
    const { progress } = await driveStep(aws, ctx, stepOf(runbook, 'dns', 'failover.dns'));
    expect(progress.status).toBe('failed');
    expect(progress.message).toMatch(/no routing control tiny-us-east-2: deploy the routing stack/);
    expect(aws.routing.updates).toEqual([]);
  });

  it('changes change-mode records in one batch per zone and journals when they are in sync', async () => {
    // Prepare
    const runbook = await tinyRunbook('failover', (raw) => {
      const dns = raw.dns as { records: Record<string, unknown>[] };
      for (const record of dns.records) record.mode = 'change';
    });
    const aws = fakeEstate(runbook);
    const { ctx, journaled } = fakeStepContext(aws, runbook);
    // Act
    const { progress } = await driveStep(aws, ctx, stepOf(runbook, 'dns', 'failover.dns'));
    // Assess
    expect(progress.status, progress.message).toBe('done');
    expect(aws.region(RECOVERY).dns.changes.map((c) => c.zoneId)).toEqual([
      'Z01TINYUSE1',
      'Z01TINYUSE2',
    ]);
    expect(aws.routing.updates).toEqual([]);
    expect(journaled('dns-changed').map((e) => e.data)).toEqual([
      { target: 'recovery', records: 2, insyncAt: aws.now() },
    ]);
  });
});
