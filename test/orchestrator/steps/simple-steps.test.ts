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
  it('changes the records in one batch per zone and journals when they are in sync', async () => {
    // Prepare
    const runbook = await tinyRunbook('failover');
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
    expect(journaled('dns-changed').map((e) => e.data)).toEqual([
      { target: 'recovery', records: 2, insyncAt: aws.now() },
    ]);
  });
});
