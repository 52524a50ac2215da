import { describe, expect, it } from 'vitest';
import {
  AwsCallError,
  RegionUnreachableError,
  ThrottledError,
} from '../../../orchestrator/domain/errors.ts';
import { advanceStep } from '../../../orchestrator/steps/run-step.ts';
import { tinyRunbook } from '../../fixtures/report-runs.ts';
import { throttling } from '../../support/fake-aws.ts';
import { driveStep, fakeEstate, fakeStepContext, stepOf } from '../../support/step-context.ts';

const PRIMARY = 'us-east-1';
const RECOVERY = 'us-east-2';

describe('advanceStep', () => {
  it('goes on past a best-effort step of a real failover when the primary region is unreachable', async () => {
    // Prepare
    const runbook = await tinyRunbook('failover');
    const aws = fakeEstate(runbook);
    aws.region(PRIMARY).unreachable = true;
    const { ctx, journaled } = fakeStepContext(aws, runbook);
    const stop = stepOf(runbook, 'stop-instances', 'failover.stop-sources');
    // Act
    const { progress } = await driveStep(aws, ctx, stop);
    // Assess
    expect(stop.bestEffort).toBe(true);
    expect(progress.status).toBe('done');
    expect(progress.message).toMatch(/^best effort: ec2 StopInstances failed with ECONNREFUSED/);
    expect(journaled('best-effort-failed')).toHaveLength(1);
    expect(journaled('instances-stopped').at(-1)?.data).toEqual({
      instances: [],
      unreachable: true,
    });
  });

  it('leaves the same step of a drill to the state machine’s retry: a drill needs the primary', async () => {
    // Prepare
    const runbook = await tinyRunbook('drill');
    const aws = fakeEstate(runbook);
    aws.region(PRIMARY).unreachable = true;
    const { ctx, journaled } = fakeStepContext(aws, runbook);
    const stop = stepOf(runbook, 'stop-instances', 'failover.stop-sources');
    // Act
    const advanced = advanceStep(ctx, stop, undefined);
    // Assess
    await expect(advanced).rejects.toBeInstanceOf(RegionUnreachableError);
    expect(journaled('best-effort-failed')).toEqual([]);
  });

  it('throws throttling even in a best-effort step, to be retried rather than given up', async () => {
    // Prepare
    const runbook = await tinyRunbook('failover');
    const aws = fakeEstate(runbook);
    aws.region(PRIMARY).failOn('ec2.StopInstances', throttling('ec2', 'StopInstances'));
    const { ctx } = fakeStepContext(aws, runbook);
    const stop = stepOf(runbook, 'stop-instances', 'failover.stop-sources');
    // Act
    const advanced = advanceStep(ctx, stop, undefined);
    // Assess
    await expect(advanced).rejects.toBeInstanceOf(ThrottledError);
  });

  it('fails a step on an AWS error that trying again will not fix', async () => {
    // Prepare
    const runbook = await tinyRunbook('failover', (raw) => {
      for (const record of (raw.dns as { records: Record<string, unknown>[] }).records)
        record.mode = 'change';
    });
    const aws = fakeEstate(runbook);
    const denied = () =>
      new AwsCallError({
        service: 'route53',
        operation: 'ChangeResourceRecordSets',
        code: 'AccessDenied',
        retryable: false,
        detail: 'not authorized',
      });
    aws.region(RECOVERY).failOn('route53.ChangeResourceRecordSets', denied);
    const { ctx } = fakeStepContext(aws, runbook);
    // Act
    const progress = await advanceStep(ctx, stepOf(runbook, 'dns', 'failover.dns'), undefined);
    // Assess
    expect(progress.status).toBe('failed');
    expect(progress.message).toContain('route53 ChangeResourceRecordSets failed with AccessDenied');
  });

  it('refuses the steps the engine runs itself', async () => {
    // Prepare
    const runbook = await tinyRunbook('drill');
    const { ctx } = fakeStepContext(fakeEstate(runbook), runbook);
    // Act
    const advanced = advanceStep(ctx, stepOf(runbook, 'gate', 'approval'), undefined);
    // Assess
    await expect(advanced).rejects.toThrow(/gate steps are run by the engine/);
  });
});
