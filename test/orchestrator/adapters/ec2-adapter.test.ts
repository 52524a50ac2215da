import { EC2Client, StartInstancesCommand } from '@aws-sdk/client-ec2';
import { afterEach, describe, expect, it } from 'vitest';
import { Ec2Adapter } from '../../../orchestrator/adapters/ec2-adapter.ts';
import { AwsCallError } from '../../../orchestrator/domain/errors.ts';
import type { Region } from '../../../orchestrator/domain/regions.ts';
import { type LocalAccount, MINUTE, PRIMARY, startLocalAccount } from './local-account.ts';

let account: LocalAccount;
afterEach(() => account?.aws.stop());

async function connect(region: Region) {
  account = await startLocalAccount();
  const config = await account.config(region);
  return { ec2: new Ec2Adapter(new EC2Client(config), region), client: new EC2Client(config) };
}

describe('Ec2Adapter', () => {
  it('describes running primaries with passed status checks, their IPs and tags', async () => {
    // Prepare
    const { ec2 } = await connect(PRIMARY);
    const ora = account.server('bcbsaz-ora-01');
    const web = account.server('bcbsaz-web-01');
    // Act
    const views = await ec2.describe([ora.primary.instanceId, web.primary.instanceId]);
    // Assess
    expect(views).toEqual([
      expect.objectContaining({
        instanceId: ora.primary.instanceId,
        state: 'running',
        statusOk: true,
        privateIp: ora.primary.ip,
        tags: expect.objectContaining({ Name: ora.name, customer: 'bcbsaz' }),
        launchedAt: expect.any(Number),
      }),
      expect.objectContaining({ instanceId: web.primary.instanceId, statusOk: true }),
    ]);
  });

  it('says statusOk only once both instance and system checks pass after a start', async () => {
    // Prepare: a primary, stopped
    const { ec2, client } = await connect(PRIMARY);
    const id = account.server('bcbsaz-app-01').primary.instanceId;
    await ec2.stop([id]);
    account.aws.clock.advance(2 * MINUTE);
    const stopped = await ec2.describe([id]);
    await client.send(new StartInstancesCommand({ InstanceIds: [id] }));
    // Act
    account.aws.clock.advance(MINUTE);
    const booted = await ec2.describe([id]);
    account.aws.clock.advance(10 * MINUTE);
    const checked = await ec2.describe([id]);
    // Assess
    expect(stopped).toMatchObject([{ state: 'stopped', statusOk: false }]);
    expect(booted).toMatchObject([{ state: 'running', statusOk: false }]);
    expect(checked).toMatchObject([{ state: 'running', statusOk: true }]);
    // EC2 gives LaunchTime in whole seconds.
    const startedAt = account.aws.clock.now() - 11 * MINUTE;
    expect(checked[0]?.launchedAt).toBe(Math.floor(startedAt / 1000) * 1000);
  });

  it('stops instances: stopping, then stopped', async () => {
    const { ec2 } = await connect(PRIMARY);
    const id = account.server('bcbsaz-ora-01').primary.instanceId;
    await ec2.stop([id]);
    const stopping = await ec2.describe([id]);
    account.aws.clock.advance(2 * MINUTE);
    expect(stopping).toMatchObject([{ state: 'stopping', statusOk: false }]);
    expect(await ec2.describe([id])).toMatchObject([{ state: 'stopped', statusOk: false }]);
  });

  it('changes a stopped instance’s type and describes it; refuses a running one with EC2’s code', async () => {
    // Prepare
    const { ec2 } = await connect(PRIMARY);
    const id = account.server('bcbsaz-ora-01').primary.instanceId;
    const running = await ec2.setInstanceType(id, 'r6i.8xlarge').catch((e: unknown) => e);
    await ec2.stop([id]);
    account.aws.clock.advance(2 * MINUTE);
    // Act
    await ec2.setInstanceType(id, 'r6i.8xlarge');
    // Assess
    expect(running).toBeInstanceOf(AwsCallError);
    expect((running as AwsCallError).code).toBe('IncorrectInstanceState');
    expect(await ec2.describe([id])).toMatchObject([{ instanceType: 'r6i.8xlarge' }]);
  });

  it('describes nothing for no ids, rather than every instance of the region', async () => {
    const { ec2 } = await connect(PRIMARY);
    expect(await ec2.describe([])).toEqual([]);
    await expect(ec2.stop([])).resolves.toBeUndefined();
  });

  it('maps an unknown instance to AwsCallError with EC2’s code', async () => {
    const { ec2 } = await connect(PRIMARY);
    const error = await ec2.describe(['i-0000000000000000f']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AwsCallError);
    expect(error).toMatchObject({ service: 'ec2', code: 'InvalidInstanceID.NotFound' });
  });
});

describe('Ec2Adapter.missingNetwork', () => {
  it('finds the instances that exist among ids of which one does not, where describe fails', async () => {
    // Prepare
    const { ec2 } = await connect(PRIMARY);
    const ora = account.server('bcbsaz-ora-01').primary.instanceId;
    const absent = 'i-0123456789abcdef0';
    // Act
    const found = await ec2.findInstances([ora, absent]);
    const described = ec2.describe([ora, absent]);
    // Assess
    expect(found).toEqual([
      expect.objectContaining({ instanceId: ora, state: 'running', statusOk: true }),
    ]);
    await expect(described).rejects.toMatchObject({ code: 'InvalidInstanceID.NotFound' });
  });

  it('finds the bubble network of an isolated drill and names what is missing', async () => {
    // Prepare: nwhealth's bubble lives in its recovery region, in its own account
    account = await startLocalAccount('nwhealth');
    const config = await account.config('us-east-2');
    const ec2 = new Ec2Adapter(new EC2Client(config), 'us-east-2');
    // Act
    const present = await ec2.missingNetwork('subnet-0b0bb1e0d1550a7ed', ['sg-0b0bb1ec1ea11a55e']);
    const absent = await ec2.missingNetwork('subnet-0000dead', [
      'sg-0b0bb1ec1ea11a55e',
      'sg-0000beef',
    ]);
    // Assess
    expect(present).toEqual([]);
    expect(absent).toEqual(['subnet-0000dead', 'sg-0000beef']);
  });
});
