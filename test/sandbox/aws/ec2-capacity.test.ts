import {
  DescribeJobLogItemsCommand,
  DescribeJobsCommand,
  DrsClient,
  StartRecoveryCommand,
  UpdateLaunchConfigurationCommand,
} from '@aws-sdk/client-drs';
import {
  DescribeInstancesCommand,
  EC2Client,
  EC2ServiceException,
  ModifyInstanceAttributeCommand,
  StartInstancesCommand,
  StopInstancesCommand,
} from '@aws-sdk/client-ec2';
import { afterEach, describe, expect, it } from 'vitest';
import type { Plan } from '../../../orchestrator/domain/plan.ts';
import type { LocalAws } from '../../../sandbox/aws/local-aws.ts';
import { assumeCustomer, clientConfig, samplePlans, startSampleAws } from './harness.ts';

const MINUTE = 60_000;
let aws: LocalAws;
afterEach(() => aws?.stop());

async function world(faults: string[]) {
  aws = await startSampleAws({ faults });
  const bcbsaz = (await samplePlans()).find((p) => p.customer.id === 'bcbsaz') as Plan;
  const credentials = await assumeCustomer(aws, bcbsaz);
  const drs = new DrsClient(clientConfig(aws, 'us-east-2', credentials));
  const ec2 = (region = 'us-east-2') => new EC2Client(clientConfig(aws, region, credentials));
  const ora = bcbsaz.servers.find((s) => s.name === 'bcbsaz-ora-01') as Plan['servers'][number];
  const sourceId = aws.estate.serverNamed(ora.name)?.sourceServerId ?? '';
  const typeOf = async (instanceId: string, region = 'us-east-2') =>
    (await ec2(region).send(new DescribeInstancesCommand({ InstanceIds: [instanceId] })))
      .Reservations?.[0]?.Instances?.[0]?.InstanceType;
  const recover = async () => {
    const { job } = await drs.send(
      new StartRecoveryCommand({ sourceServers: [{ sourceServerID: sourceId }] }),
    );
    aws.clock.advance(30 * MINUTE);
    const jobID = job?.jobID ?? '';
    const done = (await drs.send(new DescribeJobsCommand({ filters: { jobIDs: [jobID] } })))
      .items?.[0];
    const log = (await drs.send(new DescribeJobLogItemsCommand({ jobID }))).items ?? [];
    return { status: done?.participatingServers?.[0]?.launchStatus, log };
  };
  await drs.send(
    new UpdateLaunchConfigurationCommand({
      sourceServerID: sourceId,
      launchIntoInstanceProperties: { launchIntoEC2InstanceID: ora.recovery.instanceId },
    }),
  );
  return { ec2, ora, sourceId, typeOf, recover };
}

async function errorOf(promise: Promise<unknown>): Promise<EC2ServiceException> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(EC2ServiceException);
  return error as EC2ServiceException;
}

describe('EC2 capacity (fault capacity:<type>[:<region>])', () => {
  it('fails a DRS launch into an instance of that type with LAUNCH_FAILED and EC2’s InsufficientInstanceCapacity; after the type is changed, the launch lands', async () => {
    // Prepare
    const { ec2, ora, sourceId, typeOf, recover } = await world(['capacity:r6i.4xlarge:us-east-2']);
    expect(await typeOf(ora.recovery.instanceId)).toBe('r6i.4xlarge');
    // Act
    const first = await recover();
    // Assess
    expect(first.status).toBe('FAILED');
    const failed = first.log.find((e) => e.event === 'LAUNCH_FAILED');
    expect(failed?.eventData).toMatchObject({
      sourceServerID: sourceId,
      targetInstanceID: ora.recovery.instanceId,
    });
    expect(failed?.eventData?.rawError).toMatch(
      /^InsufficientInstanceCapacity: We currently do not have sufficient r6i\.4xlarge capacity in the Availability Zone you requested \(us-east-2a\)/,
    );
    expect(aws.estate.truth.filter((e) => e.type === 'recovery-launched')).toHaveLength(0);

    // Act: the stopped pre-created instance takes another type, and DRS launches into it
    await ec2().send(
      new ModifyInstanceAttributeCommand({
        InstanceId: ora.recovery.instanceId,
        InstanceType: { Value: 'r6i.8xlarge' },
      }),
    );
    const second = await recover();
    // Assess
    expect(await typeOf(ora.recovery.instanceId)).toBe('r6i.8xlarge');
    expect(second.status).toBe('LAUNCHED');
    expect(second.log.some((e) => e.event === 'LAUNCH_FAILED')).toBe(false);
    expect(aws.estate.truth.filter((e) => e.type === 'recovery-launched')).toMatchObject([
      { server: ora.name, instanceId: ora.recovery.instanceId },
    ]);
  });

  it('leaves other regions and types alone', async () => {
    const { ora, typeOf, recover } = await world(['capacity:r6i.4xlarge:us-west-1']);
    expect(await typeOf(ora.primary.instanceId, 'us-east-1')).toBe('r6i.4xlarge');
    expect((await recover()).status).toBe('LAUNCHED');
  });

  it('answers StartInstances of a stopped instance of that type with InsufficientInstanceCapacity', async () => {
    // Prepare
    const { ec2, ora } = await world([]);
    const east = ec2('us-east-1');
    await east.send(new StopInstancesCommand({ InstanceIds: [ora.primary.instanceId] }));
    aws.clock.advance(5 * MINUTE);
    aws.faults.add('capacity:r6i.4xlarge');
    // Act
    const error = await errorOf(
      east.send(new StartInstancesCommand({ InstanceIds: [ora.primary.instanceId] })),
    );
    // Assess
    expect(error.name).toBe('InsufficientInstanceCapacity');
    expect(error.$metadata.httpStatusCode).toBe(500);
    expect(error.message).toContain('sufficient r6i.4xlarge capacity');
    aws.faults.remove('capacity:r6i.4xlarge');
    const started = await east.send(
      new StartInstancesCommand({ InstanceIds: [ora.primary.instanceId] }),
    );
    expect(started.StartingInstances?.[0]?.CurrentState?.Name).toBe('pending');
  });

  it('changes an instance type only on a stopped instance (IncorrectInstanceState otherwise)', async () => {
    // Prepare
    const { ec2, ora, typeOf } = await world([]);
    // Act
    const error = await errorOf(
      ec2('us-east-1').send(
        new ModifyInstanceAttributeCommand({
          InstanceId: ora.primary.instanceId,
          InstanceType: { Value: 'r6i.8xlarge' },
        }),
      ),
    );
    // Assess
    expect(error.name).toBe('IncorrectInstanceState');
    expect(error.message).toContain("is not in the 'stopped' state");
    expect(await typeOf(ora.primary.instanceId, 'us-east-1')).toBe('r6i.4xlarge');
  });
});
