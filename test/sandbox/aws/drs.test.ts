import {
  ConflictException,
  DescribeJobLogItemsCommand,
  DescribeJobsCommand,
  DescribeRecoveryInstancesCommand,
  DescribeRecoverySnapshotsCommand,
  DescribeSourceServersCommand,
  DrsClient,
  GetLaunchConfigurationCommand,
  ListTagsForResourceCommand,
  paginateDescribeSourceServers,
  ResourceNotFoundException,
  ReverseReplicationCommand,
  ServiceQuotaExceededException,
  StartRecoveryCommand,
  StartReplicationCommand,
  StopReplicationCommand,
  TagResourceCommand,
  TerminateRecoveryInstancesCommand,
  ThrottlingException,
  UntagResourceCommand,
  UpdateLaunchConfigurationCommand,
  ValidationException,
} from '@aws-sdk/client-drs';
import { DescribeInstancesCommand, EC2Client, StopInstancesCommand } from '@aws-sdk/client-ec2';
import type { AwsCredentialIdentity } from '@aws-sdk/types';
import { afterEach, describe, expect, it } from 'vitest';
import type { Plan } from '../../../orchestrator/domain/plan.ts';
import type { LocalAws } from '../../../sandbox/aws/local-aws.ts';
import { assumeCustomer, bigPlan, clientConfig, samplePlans, startSampleAws } from './harness.ts';

const MINUTE = 60_000;
let aws: LocalAws;
afterEach(() => aws?.stop());

async function world(options: Parameters<typeof startSampleAws>[0] = {}) {
  aws = await startSampleAws(options);
  const plans = await samplePlans();
  const bcbsaz = plans.find((p) => p.customer.id === 'bcbsaz') as Plan;
  const credentials = await assumeCustomer(aws, bcbsaz);
  const drs = (region = 'us-east-2', creds: AwsCredentialIdentity = credentials) =>
    new DrsClient(clientConfig(aws, region, creds));
  const ec2 = (region = 'us-east-2') => new EC2Client(clientConfig(aws, region, credentials));
  const ids = bcbsaz.servers.map((s) => aws.estate.serverNamed(s.name)?.sourceServerId ?? '');
  return { bcbsaz, credentials, drs, ec2, ids };
}

describe('DRS source servers', () => {
  it('lists the 44 bcbsaz servers in us-east-2, where they replicate to, page by page, from us-east-1', async () => {
    // Prepare
    const { drs, ids } = await world();
    // Act
    const found: { id: string; origin?: string; state?: string; lag?: string }[] = [];
    for await (const page of paginateDescribeSourceServers(
      { client: drs('us-east-2'), pageSize: 10 },
      {},
    )) {
      for (const s of page.items ?? []) {
        found.push({
          id: s.sourceServerID ?? '',
          origin: s.sourceCloudProperties?.originRegion,
          state: s.dataReplicationInfo?.dataReplicationState,
          lag: s.dataReplicationInfo?.lagDuration,
        });
      }
    }
    const inPrimary = await drs('us-east-1').send(new DescribeSourceServersCommand({}));
    // Assess
    expect(found.map((f) => f.id).sort()).toEqual([...ids].sort());
    expect(
      found.every(
        (f) => f.origin === 'us-east-1' && f.state === 'CONTINUOUS' && /^PT\d+S$/.test(f.lag ?? ''),
      ),
    ).toBe(true);
    expect(inPrimary.items).toEqual([]);
  });

  it('keeps point-in-time snapshots every 10 minutes for the last hour, newest first, paginated', async () => {
    // Midway between two 10-minute marks: right after a mark, the newest point in time is still
    // behind the replication lag and the hour holds only five.
    const start = Math.floor(Date.now() / (10 * MINUTE)) * 10 * MINUTE + 5 * MINUTE;
    const { drs, ids } = await world({ start });
    const out = await drs().send(
      new DescribeRecoverySnapshotsCommand({ sourceServerID: ids[0], maxResults: 6 }),
    );
    const times = (out.items ?? []).map((s) => Date.parse(s.expectedTimestamp ?? ''));
    expect(times).toHaveLength(6);
    expect(times.every((t, i) => i === 0 || (times[i - 1] ?? 0) - t === 10 * MINUTE)).toBe(true);
    expect(out.nextToken).toBeDefined();
    const next = await drs().send(
      new DescribeRecoverySnapshotsCommand({
        sourceServerID: ids[0],
        maxResults: 6,
        nextToken: out.nextToken,
      }),
    );
    expect(Date.parse(next.items?.[0]?.expectedTimestamp ?? '')).toBeLessThan(times[5] ?? 0);
  });

  it('answers an unknown server with the SDK’s ResourceNotFoundException', async () => {
    const { drs } = await world();
    await expect(
      drs().send(new DescribeRecoverySnapshotsCommand({ sourceServerID: 's-00000000000000000' })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
  });
});

describe('DRS recovery', () => {
  it('recovers all 44 bcbsaz servers in one job: snapshot, conversion, launch, to LAUNCHED', async () => {
    // Prepare
    const { drs, ids } = await world();
    // Act
    const { job } = await drs().send(
      new StartRecoveryCommand({
        sourceServers: ids.map((sourceServerID) => ({ sourceServerID })),
      }),
    );
    const early = await drs().send(
      new DescribeJobsCommand({ filters: { jobIDs: [job?.jobID ?? ''] } }),
    );
    aws.clock.advance(30 * MINUTE);
    const done = await drs().send(
      new DescribeJobsCommand({ filters: { jobIDs: [job?.jobID ?? ''] } }),
    );
    const log = await drs().send(new DescribeJobLogItemsCommand({ jobID: job?.jobID }));
    const instances = await drs().send(new DescribeRecoveryInstancesCommand({}));
    // Assess
    expect(job?.initiatedBy).toBe('START_RECOVERY');
    expect(early.items?.[0]?.status).toBe('PENDING');
    expect(done.items?.[0]?.status).toBe('COMPLETED');
    expect(done.items?.[0]?.participatingServers?.map((s) => s.launchStatus)).toEqual(
      ids.map(() => 'LAUNCHED'),
    );
    const events = (log.items ?? [])
      .filter((e) => e.eventData?.sourceServerID === ids[0])
      .map((e) => e.event);
    expect(events).toEqual([
      'SNAPSHOT_START',
      'SNAPSHOT_END',
      'CONVERSION_START',
      'CONVERSION_END',
      'LAUNCH_START',
    ]);
    expect(log.items?.[0]?.event).toBe('JOB_START');
    expect(log.items?.at(-1)?.event).toBe('JOB_END');
    expect(instances.items).toHaveLength(44);
    const launched = aws.estate.truth.filter((e) => e.type === 'recovery-launched');
    expect(launched).toHaveLength(44);
    // The truth says when the job stopped counting against the quotas: at its last launch
    const [started] = aws.estate.truth.filter((e) => e.type === 'drs-job');
    expect(started?.endsAt).toBe(
      launched
        .map((e) => String(e.launchedAt))
        .sort()
        .at(-1),
    );
  });

  it('refuses a job of 101 servers, a 21st concurrent job and a 501st server in active jobs, as DRS does', async () => {
    // Prepare: one customer with 620 servers
    const big = bigPlan(620);
    aws = await startSampleAws({ plans: [big] });
    const drs = new DrsClient(
      clientConfig(aws, big.regions.recovery, await assumeCustomer(aws, big)),
    );
    const ids = big.servers.map((s) => aws.estate.serverNamed(s.name)?.sourceServerId ?? '');
    const start = (from: number, count: number) =>
      drs.send(
        new StartRecoveryCommand({
          sourceServers: ids
            .slice(from, from + count)
            .map((sourceServerID) => ({ sourceServerID })),
        }),
      );
    // Act & Assess: 101 in one job
    const tooBig = await start(0, 101).catch((e: unknown) => e);
    expect(tooBig).toBeInstanceOf(ServiceQuotaExceededException);
    expect((tooBig as ServiceQuotaExceededException).message).toContain('at most 100');
    // 5 jobs of 100 fill the 500 active servers; one more server is refused
    for (let j = 0; j < 5; j++) await start(j * 100, 100);
    const over = await start(500, 1).catch((e: unknown) => e);
    expect(over).toBeInstanceOf(ServiceQuotaExceededException);
    expect((over as Error).message).toContain('500');
    // after they finish, 20 single-server jobs run at once, and the 21st is refused
    aws.clock.advance(60 * MINUTE);
    for (let j = 0; j < 20; j++) await start(500 + j, 1);
    const twentyFirst = await start(520, 1).catch((e: unknown) => e);
    expect(twentyFirst).toBeInstanceOf(ServiceQuotaExceededException);
    expect((twentyFirst as Error).message).toContain('20 jobs');
  });

  it('refuses a second job on a server that is in an active job with ConflictException', async () => {
    const { drs, ids } = await world();
    await drs().send(new StartRecoveryCommand({ sourceServers: [{ sourceServerID: ids[0] }] }));
    const error = await drs()
      .send(
        new StartRecoveryCommand({
          sourceServers: [{ sourceServerID: ids[1] }, { sourceServerID: ids[0] }],
        }),
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConflictException);
    aws.clock.advance(30 * MINUTE);
    await expect(
      drs().send(new StartRecoveryCommand({ sourceServers: [{ sourceServerID: ids[0] }] })),
    ).resolves.toBeDefined();
  });

  it('launches into the pre-created instance with its pre-allocated IP, and re-points the SSM agent when asked', async () => {
    // Prepare
    const { drs, ec2, ids, bcbsaz } = await world();
    const ora = bcbsaz.servers[0];
    await drs().send(
      new UpdateLaunchConfigurationCommand({
        sourceServerID: ids[0],
        postLaunchEnabled: true,
        launchIntoInstanceProperties: { launchIntoEC2InstanceID: ora?.recovery.instanceId },
      }),
    );
    // Act
    await drs().send(
      new StartRecoveryCommand({
        sourceServers: [{ sourceServerID: ids[0] }, { sourceServerID: ids[1] }],
      }),
    );
    aws.clock.advance(30 * MINUTE);
    const described = await ec2().send(
      new DescribeInstancesCommand({ InstanceIds: [ora?.recovery.instanceId ?? ''] }),
    );
    const recovered = await drs().send(
      new DescribeRecoveryInstancesCommand({
        filters: { sourceServerIDs: [ids[0] ?? '', ids[1] ?? ''] },
      }),
    );
    // Assess
    const instance = described.Reservations?.[0]?.Instances?.[0];
    expect(instance).toMatchObject({
      State: { Name: 'running' },
      PrivateIpAddress: ora?.recovery.ip,
    });
    const byServer = new Map(recovered.items?.map((r) => [r.sourceServerID, r]));
    expect(byServer.get(ids[0])?.recoveryInstanceID).toBe(ora?.recovery.instanceId);
    expect(byServer.get(ids[1])?.recoveryInstanceID).not.toBe(
      bcbsaz.servers[1]?.recovery.instanceId,
    );
    expect(aws.estate.instance(ora?.recovery.instanceId ?? '')?.agentRegion).toBe('us-east-2');
    expect(aws.estate.instance(byServer.get(ids[1])?.recoveryInstanceID ?? '')?.agentRegion).toBe(
      'us-east-1',
    );
  });

  it('recovers from the snapshot asked for, and the truth says which', async () => {
    const { drs, ids } = await world();
    const snapshots = await drs().send(
      new DescribeRecoverySnapshotsCommand({ sourceServerID: ids[0], order: 'DESC' }),
    );
    const chosen = snapshots.items?.[2];
    await drs().send(
      new StartRecoveryCommand({
        sourceServers: [{ sourceServerID: ids[0], recoverySnapshotID: chosen?.snapshotID }],
      }),
    );
    aws.clock.advance(30 * MINUTE);
    const [ri] = (await drs().send(new DescribeRecoveryInstancesCommand({}))).items ?? [];
    expect(ri?.pointInTimeSnapshotDateTime).toBe(chosen?.timestamp);
    expect(aws.estate.truth.find((e) => e.type === 'recovery-launched')).toMatchObject({
      snapshotId: chosen?.snapshotID,
      dataAt: chosen?.timestamp,
    });
  });

  it('fails the launch of a server named by launch-fail, logging LAUNCH_FAILED', async () => {
    const { drs, ids, bcbsaz } = await world({ faults: [`launch-fail:${'bcbsaz-web-03'}`] });
    const web3 = ids[bcbsaz.servers.findIndex((s) => s.name === 'bcbsaz-web-03')] ?? '';
    const { job } = await drs().send(
      new StartRecoveryCommand({
        sourceServers: [{ sourceServerID: web3 }, { sourceServerID: ids[0] }],
      }),
    );
    aws.clock.advance(30 * MINUTE);
    const done = await drs().send(
      new DescribeJobsCommand({ filters: { jobIDs: [job?.jobID ?? ''] } }),
    );
    const log = await drs().send(new DescribeJobLogItemsCommand({ jobID: job?.jobID }));
    expect(done.items?.[0]?.participatingServers?.map((s) => s.launchStatus)).toEqual([
      'FAILED',
      'LAUNCHED',
    ]);
    expect(
      log.items?.some((e) => e.event === 'LAUNCH_FAILED' && e.eventData?.sourceServerID === web3),
    ).toBe(true);
  });
});

describe('DRS replication', () => {
  it('drains lag to zero after the source stops, and shows a stalled server’s lag growing', async () => {
    const { drs, ec2, ids, bcbsaz } = await world({ faults: ['stall:bcbsaz-ora-02'] });
    await ec2('us-east-1').send(
      new StopInstancesCommand({ InstanceIds: [bcbsaz.servers[0]?.primary.instanceId ?? ''] }),
    );
    const lagOf = async (id: string) =>
      (await drs().send(new DescribeSourceServersCommand({ filters: { sourceServerIDs: [id] } })))
        .items?.[0]?.dataReplicationInfo;
    await lagOf(ids[1] ?? '');
    aws.clock.advance(10 * MINUTE);
    expect(await lagOf(ids[0] ?? '')).toMatchObject({
      dataReplicationState: 'CONTINUOUS',
      lagDuration: 'PT0S',
    });
    expect(await lagOf(ids[1] ?? '')).toMatchObject({
      dataReplicationState: 'STALLED',
      lagDuration: 'PT10M',
    });
  });

  it('reverses replication to us-east-1 and fails back into the original instance', async () => {
    // Prepare: the source is stopped and recovered into its pre-created instance
    const { drs, ec2, ids, bcbsaz } = await world();
    const ora = bcbsaz.servers[0];
    await ec2('us-east-1').send(
      new StopInstancesCommand({ InstanceIds: [ora?.primary.instanceId ?? ''] }),
    );
    aws.clock.advance(5 * MINUTE);
    await drs().send(
      new UpdateLaunchConfigurationCommand({
        sourceServerID: ids[0],
        launchIntoInstanceProperties: { launchIntoEC2InstanceID: ora?.recovery.instanceId },
      }),
    );
    await drs().send(new StartRecoveryCommand({ sourceServers: [{ sourceServerID: ids[0] }] }));
    aws.clock.advance(30 * MINUTE);
    // Act
    const { reversedDirectionSourceServerArn: arn } = await drs().send(
      new ReverseReplicationCommand({ recoveryInstanceID: ora?.recovery.instanceId }),
    );
    const syncing = (await drs('us-east-1').send(new DescribeSourceServersCommand({}))).items ?? [];
    aws.clock.advance(45 * MINUTE);
    const reversed = (await drs('us-east-1').send(new DescribeSourceServersCommand({}))).items?.[0];
    await drs('us-east-1').send(
      new StartRecoveryCommand({ sourceServers: [{ sourceServerID: reversed?.sourceServerID }] }),
    );
    aws.clock.advance(30 * MINUTE);
    const back = (await drs('us-east-1').send(new DescribeRecoveryInstancesCommand({}))).items?.[0];
    const original = await ec2('us-east-1').send(
      new DescribeInstancesCommand({ InstanceIds: [ora?.primary.instanceId ?? ''] }),
    );
    // Assess
    expect(syncing).toHaveLength(1);
    expect(syncing[0]).toMatchObject({
      arn,
      replicationDirection: 'FAILBACK',
      dataReplicationInfo: { dataReplicationState: 'INITIAL_SYNC' },
      sourceCloudProperties: { originRegion: 'us-east-2' },
    });
    expect(reversed?.dataReplicationInfo?.dataReplicationState).toBe('CONTINUOUS');
    expect(back?.recoveryInstanceID).toBe(ora?.primary.instanceId);
    expect(original.Reservations?.[0]?.Instances?.[0]?.State?.Name).toBe('running');
  });
});

describe('DRS drills, replication control, launch settings and tags', () => {
  it('runs a drill into new instances and terminates them with a TERMINATE job', async () => {
    // Prepare
    const { drs, ec2, ids } = await world();
    // Act
    const { job } = await drs().send(
      new StartRecoveryCommand({ isDrill: true, sourceServers: [{ sourceServerID: ids[0] }] }),
    );
    aws.clock.advance(30 * MINUTE);
    const [drill] = (await drs().send(new DescribeRecoveryInstancesCommand({}))).items ?? [];
    const { job: cleanup } = await drs().send(
      new TerminateRecoveryInstancesCommand({
        recoveryInstanceIDs: [drill?.recoveryInstanceID ?? ''],
      }),
    );
    aws.clock.advance(5 * MINUTE);
    const gone = await drs().send(new DescribeRecoveryInstancesCommand({}));
    const instance = await ec2().send(
      new DescribeInstancesCommand({ InstanceIds: [drill?.recoveryInstanceID ?? ''] }),
    );
    // Assess
    expect(job?.initiatedBy).toBe('START_DRILL');
    expect(drill?.isDrill).toBe(true);
    expect(cleanup?.type).toBe('TERMINATE');
    expect(gone.items).toEqual([]);
    expect(instance.Reservations?.[0]?.Instances?.[0]?.State?.Name).toBe('terminated');
    await expect(
      drs().send(new ReverseReplicationCommand({ recoveryInstanceID: drill?.recoveryInstanceID })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
  });

  it('refuses to reverse replication from a drill instance', async () => {
    const { drs, ids } = await world();
    await drs().send(
      new StartRecoveryCommand({ isDrill: true, sourceServers: [{ sourceServerID: ids[0] }] }),
    );
    aws.clock.advance(30 * MINUTE);
    const [drill] = (await drs().send(new DescribeRecoveryInstancesCommand({}))).items ?? [];
    await expect(
      drs().send(new ReverseReplicationCommand({ recoveryInstanceID: drill?.recoveryInstanceID })),
    ).rejects.toBeInstanceOf(ValidationException);
  });

  it('stops and restarts replication, which re-syncs before it is continuous again', async () => {
    const { drs, ids } = await world();
    const stopped = await drs().send(new StopReplicationCommand({ sourceServerID: ids[0] }));
    const started = await drs().send(new StartReplicationCommand({ sourceServerID: ids[0] }));
    aws.clock.advance(30 * MINUTE);
    const later = await drs().send(
      new DescribeSourceServersCommand({ filters: { sourceServerIDs: [ids[0] ?? ''] } }),
    );
    expect(stopped.sourceServer?.dataReplicationInfo?.dataReplicationState).toBe('STOPPED');
    expect(started.sourceServer?.dataReplicationInfo?.dataReplicationState).toBe('INITIAL_SYNC');
    expect(later.items?.[0]?.dataReplicationInfo?.dataReplicationState).toBe('CONTINUOUS');
  });

  it('reads back launch settings, refuses to launch into an instance of another region, and keeps tags', async () => {
    const { drs, ids, bcbsaz } = await world();
    const initial = await drs().send(new GetLaunchConfigurationCommand({ sourceServerID: ids[0] }));
    expect(initial).toMatchObject({
      copyPrivateIp: false,
      copyTags: false,
      postLaunchEnabled: false,
      launchDisposition: 'STARTED',
    });
    await expect(
      drs().send(
        new UpdateLaunchConfigurationCommand({
          sourceServerID: ids[0],
          launchIntoInstanceProperties: {
            launchIntoEC2InstanceID: bcbsaz.servers[0]?.primary.instanceId,
          },
        }),
      ),
    ).rejects.toBeInstanceOf(ValidationException);
    const [server] =
      (
        await drs().send(
          new DescribeSourceServersCommand({ filters: { sourceServerIDs: [ids[0] ?? ''] } }),
        )
      ).items ?? [];
    await drs().send(new TagResourceCommand({ resourceArn: server?.arn, tags: { drill: '2026' } }));
    await drs().send(new UntagResourceCommand({ resourceArn: server?.arn, tagKeys: ['customer'] }));
    const { tags } = await drs().send(new ListTagsForResourceCommand({ resourceArn: server?.arn }));
    expect(tags).toEqual({ Name: 'bcbsaz-ora-01', 'lifeboat:plan': 'bcbsaz', drill: '2026' });
  });

  it('recovers from the latest snapshot it has when the primary region is down (USING_PREVIOUS_SNAPSHOT)', async () => {
    const { drs, ids } = await world({ faults: ['region-down:us-east-1'] });
    await drs().send(new DescribeSourceServersCommand({}));
    aws.clock.advance(7 * MINUTE);
    const [server] =
      (
        await drs().send(
          new DescribeSourceServersCommand({ filters: { sourceServerIDs: [ids[0] ?? ''] } }),
        )
      ).items ?? [];
    const { job } = await drs().send(
      new StartRecoveryCommand({ sourceServers: [{ sourceServerID: ids[0] }] }),
    );
    aws.clock.advance(30 * MINUTE);
    const log = await drs().send(new DescribeJobLogItemsCommand({ jobID: job?.jobID }));
    expect(server?.dataReplicationInfo).toMatchObject({
      dataReplicationState: 'DISCONNECTED',
      lagDuration: 'PT7M',
    });
    expect(log.items?.map((e) => e.event)).toContain('USING_PREVIOUS_SNAPSHOT');
    const launched = aws.estate.truth.find((e) => e.type === 'recovery-launched');
    expect(launched?.usedPreviousSnapshot).toBe(true);
  });
});

describe('faults through the SDK', () => {
  it('answers 5xx faults with the SDK’s InternalServerException once retries run out', async () => {
    const { drs } = await world({ faults: ['5xx:1:drs'] });
    const error = await drs()
      .send(new DescribeJobsCommand({}))
      .catch((e: unknown) => e);
    expect((error as Error).name).toBe('InternalServerError');
    expect((error as { $metadata: { httpStatusCode: number } }).$metadata.httpStatusCode).toBe(500);
  });

  it('fails calls to a region that is down within a second while the other region answers', async () => {
    const { credentials } = await world({ faults: ['region-down:us-east-1'] });
    const started = Date.now();
    const down = await new EC2Client({
      ...clientConfig(aws, 'us-east-1', credentials),
      maxAttempts: 3,
    })
      .send(new DescribeInstancesCommand({}))
      .catch((e: unknown) => e);
    const took = Date.now() - started;
    const up = await new DrsClient(clientConfig(aws, 'us-east-2', credentials)).send(
      new DescribeSourceServersCommand({ maxResults: 1 }),
    );
    expect(down).toBeInstanceOf(Error);
    expect(took).toBeLessThan(1000);
    expect(up.items).toHaveLength(1);
  });

  it('answers a throttled operation with the SDK’s ThrottlingException, and can be switched off at run time', async () => {
    const { drs } = await world({ faults: ['throttle:1:drs:DescribeJobs'] });
    await expect(drs().send(new DescribeJobsCommand({}))).rejects.toBeInstanceOf(
      ThrottlingException,
    );
    await expect(
      drs().send(new DescribeSourceServersCommand({ maxResults: 1 })),
    ).resolves.toBeDefined();
    const response = await fetch(`${aws.controlUrl}/faults`, {
      method: 'POST',
      body: JSON.stringify({ remove: ['throttle:1:drs:DescribeJobs'] }),
    });
    expect(await response.json()).toEqual({ faults: [] });
    await expect(drs().send(new DescribeJobsCommand({}))).resolves.toBeDefined();
  });
});
