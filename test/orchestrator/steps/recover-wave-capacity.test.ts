import { describe, expect, it } from 'vitest';
import type { Runbook, StepOf } from '../../../orchestrator/domain/runbook.ts';
import { tinyRunbook } from '../../fixtures/report-runs.ts';
import { FakeAws } from '../../support/fake-aws.ts';
import { driveStep, fakeStepContext } from '../../support/step-context.ts';

const RECOVERY = 'us-east-2';
const APP1 = 'i-0b000000000000002';
const APP2 = 'i-0b000000000000003';

function applicationWave(runbook: Runbook): StepOf<'recover-wave'> {
  const wave = runbook.steps.find(
    (s): s is StepOf<'recover-wave'> => s.kind === 'recover-wave' && s.wave === 'application',
  );
  if (!wave) throw new Error('no application wave');
  return wave;
}

/** The failover of tiny's application wave; tiny-app-02 may take `alternatives` (from the plan). */
async function world(alternatives?: string[]) {
  const runbook = await tinyRunbook('failover', (raw) => {
    const servers = raw.servers as Record<string, unknown>[];
    const app2 = servers.find((s) => s.name === 'tiny-app-02');
    if (app2 && alternatives) app2.alternativeInstanceTypes = alternatives;
  });
  const aws = new FakeAws();
  const { drs, ec2 } = aws.region(RECOVERY);
  drs.addServers(['tiny-app-01', 'tiny-app-02']);
  ec2
    .addInstances([APP1, APP2], 'stopped')
    .typeInstances('m5.xlarge', APP1)
    .typeInstances('r6i.4xlarge', APP2);
  return { runbook, aws, drs, ec2, ...fakeStepContext(aws, runbook) };
}

describe('recoverWave: EC2 capacity', () => {
  it('moves a server EC2 has no capacity for to its next alternative type and launches only it again', async () => {
    // Prepare
    const { runbook, aws, drs, ec2, ctx, journaled } = await world(['r6i.8xlarge', 'm6i.8xlarge']);
    drs.noCapacityOf('r6i.4xlarge', 'r6i.8xlarge');
    // Act
    const { progress } = await driveStep(aws, ctx, applicationWave(runbook));
    // Assess
    expect(progress.status, progress.message).toBe('done');
    expect(ec2.typeChanges).toEqual([
      { instanceId: APP2, instanceType: 'r6i.8xlarge' },
      { instanceId: APP2, instanceType: 'm6i.8xlarge' },
    ]);
    expect(Object.fromEntries(drs.launchCounts())).toEqual({
      's-tiny-app-01': 1,
      's-tiny-app-02': 3,
    });
    expect(drs.jobs.map((j) => j.sourceServerIds)).toEqual([
      ['s-tiny-app-01', 's-tiny-app-02'],
      ['s-tiny-app-02'],
      ['s-tiny-app-02'],
    ]);
    expect(journaled('instance-type-changed').map((e) => e.data)).toEqual([
      expect.objectContaining({
        server: 'tiny-app-02',
        instanceId: APP2,
        from: 'r6i.4xlarge',
        to: 'r6i.8xlarge',
        reason: expect.stringMatching(/^LAUNCH_FAILED: InsufficientInstanceCapacity: /),
      }),
      expect.objectContaining({ from: 'r6i.8xlarge', to: 'm6i.8xlarge' }),
    ]);
    expect(journaled('server-failed')).toEqual([]);
    expect(journaled('server-launched').map((e) => e.data.server)).toEqual([
      'tiny-app-01',
      'tiny-app-02',
    ]);
  });

  it('without alternatives, the failure names capacity as the cause and what DRS reported', async () => {
    // Prepare
    const { runbook, aws, drs, ec2, ctx, journaled } = await world();
    drs.noCapacityOf('r6i.4xlarge');
    // Act
    const { progress } = await driveStep(aws, ctx, applicationWave(runbook));
    // Assess
    expect(progress.status).toBe('failed');
    expect(progress.failedServers).toEqual(['tiny-app-02']);
    expect(progress.message).toContain(
      'tiny-app-02: EC2 has no r6i.4xlarge capacity in us-east-2 (InsufficientInstanceCapacity); DRS: LAUNCH_FAILED: InsufficientInstanceCapacity: We currently do not have sufficient r6i.4xlarge capacity',
    );
    expect(ec2.typeChanges).toEqual([]);
    expect(journaled('server-failed')).toHaveLength(1);
  });

  it('when every alternative is short too, the failure names each type tried', async () => {
    const { runbook, aws, drs, ctx } = await world(['r6i.8xlarge']);
    drs.noCapacityOf('r6i.4xlarge', 'r6i.8xlarge');
    const { progress } = await driveStep(aws, ctx, applicationWave(runbook));
    expect(progress.status).toBe('failed');
    expect(progress.message).toContain(
      'tiny-app-02: EC2 has no r6i.4xlarge or r6i.8xlarge capacity in us-east-2',
    );
    expect(drs.launchCounts().get('s-tiny-app-02')).toBe(2);
  });

  it('any other failure reaches the failure text as DRS logged it: event and message', async () => {
    const { runbook, aws, drs, ec2, ctx } = await world(['r6i.8xlarge']);
    drs.failLaunchOf('tiny-app-02', 'Subnet subnet-0abc has no free addresses');
    const { progress } = await driveStep(aws, ctx, applicationWave(runbook));
    expect(progress.message).toContain(
      'tiny-app-02: LAUNCH_FAILED: Subnet subnet-0abc has no free addresses',
    );
    expect(ec2.typeChanges).toEqual([]);
  });
});
