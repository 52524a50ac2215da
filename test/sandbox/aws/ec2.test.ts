import {
  DescribeInstanceStatusCommand,
  DescribeInstancesCommand,
  EC2Client,
  EC2ServiceException,
  paginateDescribeInstances,
  StartInstancesCommand,
  StopInstancesCommand,
} from '@aws-sdk/client-ec2';
import type { AwsCredentialIdentity } from '@aws-sdk/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Plan } from '../../../orchestrator/domain/plan.ts';
import type { LocalAws } from '../../../sandbox/aws/local-aws.ts';
import { assumeCustomer, clientConfig, samplePlans, startSampleAws } from './harness.ts';

let aws: LocalAws;
let bcbsaz: Plan;
let credentials: AwsCredentialIdentity;
const ec2 = (region: string) => new EC2Client(clientConfig(aws, region, credentials));

beforeAll(async () => {
  aws = await startSampleAws();
  const plans = await samplePlans();
  bcbsaz = plans.find((p) => p.customer.id === 'bcbsaz') as Plan;
  credentials = await assumeCustomer(aws, bcbsaz);
});
afterAll(() => aws.stop());

describe('EC2', () => {
  it('lists the 44 running bcbsaz servers in us-east-1, page by page, each once, filtered by tag and state', async () => {
    // Act
    const ids: string[] = [];
    for await (const page of paginateDescribeInstances(
      { client: ec2('us-east-1'), pageSize: 10 },
      {
        Filters: [
          { Name: 'instance-state-name', Values: ['running'] },
          { Name: 'tag-key', Values: ['role'] },
        ],
      },
    )) {
      for (const r of page.Reservations ?? [])
        for (const i of r.Instances ?? []) ids.push(i.InstanceId ?? '');
    }
    // Assess
    expect(ids.sort()).toEqual(bcbsaz.servers.map((s) => s.primary.instanceId).sort());
  });

  it('finds the pre-created recovery instances in us-east-2, stopped, with their pre-allocated IPs and no disks', async () => {
    const ora = bcbsaz.servers[0];
    const out = await ec2('us-east-2').send(
      new DescribeInstancesCommand({ Filters: [{ Name: 'tag:Name', Values: [ora?.name ?? ''] }] }),
    );
    const instance = out.Reservations?.[0]?.Instances?.[0];
    expect(instance).toMatchObject({
      InstanceId: ora?.recovery.instanceId,
      PrivateIpAddress: ora?.recovery.ip,
      State: { Name: 'stopped', Code: 80 },
    });
    expect(instance?.BlockDeviceMappings).toEqual([]);
  });

  it('stops an instance over time: stopping, then stopped', async () => {
    // Prepare
    const id = bcbsaz.servers[43]?.primary.instanceId ?? '';
    // Act
    const stop = await ec2('us-east-1').send(new StopInstancesCommand({ InstanceIds: [id] }));
    const during = await ec2('us-east-1').send(new DescribeInstancesCommand({ InstanceIds: [id] }));
    aws.clock.advance(120_000);
    const after = await ec2('us-east-1').send(new DescribeInstancesCommand({ InstanceIds: [id] }));
    // Assess
    expect(stop.StoppingInstances?.[0]).toMatchObject({
      PreviousState: { Name: 'running' },
      CurrentState: { Name: 'stopping' },
    });
    expect(during.Reservations?.[0]?.Instances?.[0]?.State?.Name).toBe('stopping');
    expect(after.Reservations?.[0]?.Instances?.[0]?.State?.Name).toBe('stopped');
  });

  it('passes status checks minutes after a start', async () => {
    const id = bcbsaz.servers[43]?.primary.instanceId ?? '';
    await ec2('us-east-1').send(new StartInstancesCommand({ InstanceIds: [id] }));
    aws.clock.advance(60_000);
    const early = await ec2('us-east-1').send(
      new DescribeInstanceStatusCommand({ InstanceIds: [id] }),
    );
    aws.clock.advance(300_000);
    const late = await ec2('us-east-1').send(
      new DescribeInstanceStatusCommand({ InstanceIds: [id] }),
    );
    expect(early.InstanceStatuses?.[0]?.InstanceStatus?.Status).toBe('initializing');
    expect(late.InstanceStatuses?.[0]?.InstanceStatus?.Status).toBe('ok');
    expect(late.InstanceStatuses?.[0]?.InstanceState?.Name).toBe('running');
  });

  it.each([
    ['an unknown instance', 'us-east-1', 'i-0123456789abcdef0', 'InvalidInstanceID.NotFound'],
    ['an instance of another region', 'us-east-2', 'primary', 'InvalidInstanceID.NotFound'],
    ['a pre-created instance without disks', 'us-east-2', 'recovery', 'IncorrectInstanceState'],
  ])('refuses to start %s with EC2’s error code', async (_, region, which, code) => {
    const server = bcbsaz.servers[0];
    const id =
      which === 'primary'
        ? server?.primary.instanceId
        : which === 'recovery'
          ? server?.recovery.instanceId
          : which;
    const error = await ec2(region)
      .send(new StartInstancesCommand({ InstanceIds: [id ?? ''] }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EC2ServiceException);
    expect((error as EC2ServiceException).name).toBe(code);
  });

  it('shows another account nothing', async () => {
    const tooling = new EC2Client(clientConfig(aws, 'us-east-1'));
    const out = await tooling.send(new DescribeInstancesCommand({}));
    expect(out.Reservations).toEqual([]);
  });
});
