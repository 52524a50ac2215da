import {
  DescribeJobLogItemsCommand,
  DescribeJobsCommand,
  DescribeRecoveryInstancesCommand,
  DescribeRecoverySnapshotsCommand,
  DescribeSourceServersCommand,
  DrsClient,
  GetLaunchConfigurationCommand,
  StartRecoveryCommand,
} from '@aws-sdk/client-drs';
import {
  DescribeInstanceStatusCommand,
  DescribeInstancesCommand,
  EC2Client,
  StopInstancesCommand,
} from '@aws-sdk/client-ec2';
import {
  DescribeInstanceInformationCommand,
  GetCommandInvocationCommand,
  ListCommandsCommand,
  SendCommandCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import type { AwsCredentialIdentity } from '@aws-sdk/types';
import { afterEach, describe, expect, it } from 'vitest';
import type { Plan } from '../../../orchestrator/domain/plan.ts';
import type { LocalAws } from '../../../sandbox/aws/local-aws.ts';
import {
  assumeCustomer,
  clientConfig,
  samplePlans,
  snapshotWorld,
  startSampleAws,
} from './harness.ts';

const MINUTE = 60_000;
/** Both worlds of a comparison start at the same virtual moment, midway between 10-minute marks. */
const START = Date.UTC(2026, 10, 22, 3, 5);
const FAULTS = ['stall:bcbsaz-ora-02'];

const worlds: LocalAws[] = [];
afterEach(async () => {
  await Promise.all(worlds.splice(0).map((aws) => aws.stop()));
});

/** A world with bcbsaz's first three servers in a recovery job and its first primary stopped. */
async function busyWorld() {
  const aws = await startSampleAws({ start: START, faults: FAULTS });
  worlds.push(aws);
  const bcbsaz = (await samplePlans()).find((p) => p.customer.id === 'bcbsaz') as Plan;
  const credentials = await assumeCustomer(aws, bcbsaz);
  const ids = bcbsaz.servers.map((s) => aws.estate.serverNamed(s.name)?.sourceServerId ?? '');
  const drs = new DrsClient(clientConfig(aws, bcbsaz.regions.recovery, credentials));
  const ec2 = (region: string) => new EC2Client(clientConfig(aws, region, credentials));
  await ec2(bcbsaz.regions.primary).send(
    new StopInstancesCommand({ InstanceIds: [bcbsaz.servers[0]?.primary.instanceId ?? ''] }),
  );
  const { job } = await drs.send(
    new StartRecoveryCommand({
      sourceServers: ids.slice(0, 3).map((sourceServerID) => ({ sourceServerID })),
    }),
  );
  return { aws, bcbsaz, credentials, drs, ec2, ids, jobId: job?.jobID ?? '' };
}

/** Every read DRS and EC2 answer about the world, as Lifeboat makes them. */
async function readEverything(
  world: Awaited<ReturnType<typeof busyWorld>>,
  credentials: AwsCredentialIdentity = world.credentials,
) {
  const { drs, ec2, ids, jobId, bcbsaz } = world;
  const east2 = ec2(bcbsaz.regions.recovery);
  return Promise.all([
    drs.send(new DescribeSourceServersCommand({})),
    drs.send(new DescribeSourceServersCommand({ filters: { sourceServerIDs: [ids[1] ?? ''] } })),
    drs.send(new DescribeRecoverySnapshotsCommand({ sourceServerID: ids[1] })),
    drs.send(new DescribeJobsCommand({})),
    drs.send(new DescribeJobLogItemsCommand({ jobID: jobId })),
    drs.send(new DescribeRecoveryInstancesCommand({})),
    drs.send(new GetLaunchConfigurationCommand({ sourceServerID: ids[0] })),
    east2.send(new DescribeInstancesCommand({})),
    east2.send(new DescribeInstanceStatusCommand({ IncludeAllInstances: true })),
    new DrsClient(clientConfig(world.aws, bcbsaz.regions.primary, credentials)).send(
      new DescribeSourceServersCommand({}),
    ),
  ]);
}

describe('reading the local AWS', () => {
  it('changes no state: every read twice at one moment, mid-job and mid-stall, leaves the world as it was', async () => {
    // Prepare: launches under way, a source draining, a stalled server's lag growing
    const world = await busyWorld();
    world.aws.clock.advance(12 * MINUTE);
    await world.drs.send(new DescribeJobsCommand({ filters: { jobIDs: [world.jobId] } }));
    const before = snapshotWorld(world.aws);
    // Act
    const first = await readEverything(world);
    const second = await readEverything(world);
    // Assess
    expect(snapshotWorld(world.aws)).toBe(before);
    expect(JSON.stringify(second.map(withoutMetadata))).toBe(
      JSON.stringify(first.map(withoutMetadata)),
    );
  });

  it('gives the same world whether or not anyone read it on the way', async () => {
    // Prepare: two identical worlds; one is read every few minutes, the other never
    const [watched, left] = [await busyWorld(), await busyWorld()];
    // Act
    for (let minute = 0; minute < 40; minute += 4) {
      await readEverything(watched);
      watched.aws.clock.advance(4 * MINUTE);
    }
    left.aws.clock.advance(40 * MINUTE);
    const [seen, unseen] = [await readEverything(watched), await readEverything(left)];
    // Assess
    expect(snapshotWorld(left.aws)).toBe(snapshotWorld(watched.aws));
    expect(JSON.stringify(unseen.map(withoutMetadata))).toBe(
      JSON.stringify(seen.map(withoutMetadata)),
    );
    const stalled = unseen[1].items?.[0]?.dataReplicationInfo;
    expect(stalled).toMatchObject({ dataReplicationState: 'STALLED', lagDuration: 'PT40M' });
  });
});

describe('reading SSM', () => {
  it('tells the same about a run whose instance stopped mid-run, whether or not anyone asked on the way', async () => {
    // Prepare: in two identical worlds, a smoke test on bcbsaz-app-01; its instance stops after 10 s
    const [watched, left] = [await busyWorld(), await busyWorld()];
    const runs = await Promise.all(
      [watched, left].map(async (world) => {
        const app01 = world.bcbsaz.servers.find((s) => s.name === 'bcbsaz-app-01');
        const instanceId = app01?.primary.instanceId ?? '';
        const ssm = new SSMClient(clientConfig(world.aws, 'us-east-1', world.credentials));
        const { Command } = await ssm.send(
          new SendCommandCommand({
            DocumentName: 'Lifeboat-HrpSmokeTest',
            InstanceIds: [instanceId],
          }),
        );
        const commandId = Command?.CommandId ?? '';
        const read = () =>
          Promise.all([
            ssm.send(
              new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: instanceId }),
            ),
            ssm.send(new ListCommandsCommand({ CommandId: commandId })),
            ssm.send(
              new DescribeInstanceInformationCommand({
                Filters: [{ Key: 'InstanceIds', Values: [instanceId] }],
              }),
            ),
          ]);
        return { world, instanceId, read };
      }),
    );
    // Act
    for (const { world, instanceId, read } of runs) {
      world.aws.clock.advance(10_000);
      if (world === watched) await read();
      await world.ec2('us-east-1').send(new StopInstancesCommand({ InstanceIds: [instanceId] }));
      world.aws.clock.advance(2_000);
      if (world === watched) await read();
      world.aws.clock.advance(10 * MINUTE);
    }
    const [seen, unseen] = [await runs[0]?.read(), await runs[1]?.read()];
    // Assess
    expect(snapshotWorld(left.aws)).toBe(snapshotWorld(watched.aws));
    expect(JSON.stringify(unseen?.map(withoutMetadata))).toBe(
      JSON.stringify(seen?.map(withoutMetadata)),
    );
    expect(unseen?.[0]).toMatchObject({ Status: 'Failed', StatusDetails: 'Failed' });
    expect(unseen?.[2].InstanceInformationList?.[0]?.PingStatus).toBe('ConnectionLost');
  });
});

function withoutMetadata<T extends { $metadata?: unknown }>(output: T): Omit<T, '$metadata'> {
  const { $metadata: _, ...rest } = output;
  return rest;
}
