import { EC2Client, StopInstancesCommand } from '@aws-sdk/client-ec2';
import { afterEach, describe, expect, it } from 'vitest';
import type { LocalAws, TaskCrash } from '../../../sandbox/aws/local-aws.ts';
import { assumeCustomer, clientConfig, samplePlans, startSampleAws } from './harness.ts';

let aws: LocalAws | undefined;
afterEach(async () => {
  await aws?.stop();
  aws = undefined;
});

/** Stops dmnt's first primary instance as dmnt's role, through the real EC2 client. */
async function stopFirst(world: LocalAws) {
  const dmnt = (await samplePlans()).find((p) => p.customer.id === 'dmnt');
  if (!dmnt) throw new Error('no dmnt plan');
  const credentials = await assumeCustomer(world, dmnt, dmnt.regions.primary);
  const ec2 = new EC2Client({
    ...clientConfig(world, dmnt.regions.primary, credentials),
    maxAttempts: 1,
  });
  const instanceId = dmnt.servers[0]?.primary.instanceId ?? '';
  const answer = ec2.send(new StopInstancesCommand({ InstanceIds: [instanceId] })).then(
    () => 'answered' as const,
    () => 'failed' as const,
  );
  const outcome = await Promise.race([
    answer,
    new Promise<'no answer'>((resolve) => setTimeout(() => resolve('no answer'), 400)),
  ]);
  const stops = world.estate.truth.filter(
    (e) => e.type === 'instance-stop' && e.instanceId === instanceId,
  );
  return { outcome, stops: stops.length };
}

describe('crash faults', () => {
  it.each([
    // [fault, the call took effect (stops in the truth), what the caller gets]
    ['crash-after:ec2:StopInstances', 1, 'no answer'],
    ['crash-before:ec2:StopInstances', 0, 'no answer'],
    ['crash-before:ec2:StopInstances:2', 1, 'answered'],
  ] as const)(
    '%s: the stop took effect %i times; the caller gets %s',
    async (fault, stops, outcome) => {
      // Prepare
      aws = await startSampleAws({ faults: [fault] });
      const crashes: TaskCrash[] = [];
      aws.onCrash((crash) => crashes.push(crash));
      // Act
      const result = await stopFirst(aws);
      // Assess
      expect(result).toEqual({ outcome, stops });
      const fired = fault.endsWith(':2') ? [] : [fault.split(':')[0]];
      expect(crashes.map((c) => c.kind)).toEqual(fired);
      expect(aws.estate.truth.filter((e) => e.type === 'task-crash')).toHaveLength(fired.length);
      // A crash happens once: the fault is out of force once it fired
      expect(aws.faults.list()).toEqual(fired.length ? [] : [fault]);
    },
  );

  it('drops the connection when no one listens for crashes (nothing to kill)', async () => {
    // Prepare
    aws = await startSampleAws({ faults: ['crash-after:ec2:StopInstances'] });
    // Act
    const result = await stopFirst(aws);
    // Assess
    expect(result).toEqual({ outcome: 'failed', stops: 1 });
  });
});
