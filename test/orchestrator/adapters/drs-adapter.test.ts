import { DrsClient } from '@aws-sdk/client-drs';
import { EC2Client, StopInstancesCommand } from '@aws-sdk/client-ec2';
import { afterEach, describe, expect, it } from 'vitest';
import { DrsAdapter, parseIsoDuration } from '../../../orchestrator/adapters/drs-adapter.ts';
import {
  AwsCallError,
  RegionUnreachableError,
  ThrottledError,
} from '../../../orchestrator/domain/errors.ts';
import type { LocalAwsOptions } from '../../../sandbox/aws/local-aws.ts';
import {
  type LocalAccount,
  MINUTE,
  PRIMARY,
  RECOVERY,
  startLocalAccount,
} from './local-account.ts';

let account: LocalAccount;
afterEach(() => account?.aws.stop());

async function connect(options: Partial<LocalAwsOptions> = {}) {
  account = await startLocalAccount('bcbsaz', options);
  const drs = async (region = RECOVERY) =>
    new DrsAdapter(new DrsClient(await account.config(region)), region);
  return { drs: await drs(), drsIn: drs, ...account };
}

describe('DrsAdapter.findSourceServers', () => {
  it('finds all 44 bcbsaz servers, 42 by source server id and the 2 monitoring servers by tag', async () => {
    // Prepare
    const { drs, plan, sourceIdOf } = await connect();
    const selectors = plan.servers.map((s) => ({ name: s.name, drs: s.drs }));
    // Act
    const found = await drs.findSourceServers(selectors);
    // Assess
    expect(selectors.filter((s) => 'tags' in s.drs).map((s) => s.name)).toEqual([
      'bcbsaz-mon-01',
      'bcbsaz-mon-02',
    ]);
    expect(found.size).toBe(44);
    expect(plan.servers).toHaveLength(44);
    for (const server of plan.servers) {
      expect(found.get(server.name)).toMatchObject({
        sourceServerId: sourceIdOf(server.name),
        name: server.name,
        replicationState: 'CONTINUOUS',
        lagSeconds: expect.any(Number),
        originInstanceId: server.primary.instanceId,
        originRegion: PRIMARY,
        direction: 'FAILOVER',
      });
    }
  });

  it('leaves out a selector nothing matches: an unknown id, or tags of which one pair differs', async () => {
    const { drs } = await connect();
    const found = await drs.findSourceServers([
      { name: 'ghost', drs: { sourceServerId: 's-00000000000000000' } },
      { name: 'half', drs: { tags: { Name: 'bcbsaz-mon-01', customer: 'dmnt' } } },
      { name: 'both', drs: { tags: { Name: 'bcbsaz-mon-01', customer: 'bcbsaz' } } },
    ]);
    expect([...found.keys()]).toEqual(['both']);
  });

  it('lists only the named servers when every selector names its id, and all of them otherwise', async () => {
    // Prepare: a DRS client that records what each DescribeSourceServers asked for
    const { plan, sourceIdOf } = await connect();
    const client = new DrsClient(await account.config(RECOVERY));
    const asked: unknown[] = [];
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'DescribeSourceServersCommand')
          asked.push((args.input as { filters?: unknown }).filters);
        return next(args);
      },
      { step: 'initialize' },
    );
    const drs = new DrsAdapter(client, RECOVERY);
    const byId = plan.servers.filter((s) => 'sourceServerId' in s.drs).slice(0, 3);
    const selectors = byId.map((s) => ({ name: s.name, drs: s.drs }));
    const tagged = plan.servers.find((s) => 'tags' in s.drs);
    // Act
    const named = await drs.findSourceServers(selectors);
    const mixed = await drs.findSourceServers([
      ...selectors,
      ...(tagged ? [{ name: tagged.name, drs: tagged.drs }] : []),
    ]);
    const none = await drs.findSourceServers([]);
    // Assess
    expect(asked).toEqual([{ sourceServerIDs: byId.map((s) => sourceIdOf(s.name)) }, undefined]);
    expect([...named.keys()]).toEqual(byId.map((s) => s.name));
    expect(mixed.size).toBe(4);
    expect(none.size).toBe(0);
  });

  it('reads a stalled server’s lag from its ISO-8601 duration', async () => {
    const { drs, sourceIdOf } = await connect({ faults: ['stall:bcbsaz-ora-02'] });
    await drs.listSourceServers();
    account.aws.clock.advance(62 * MINUTE + 5_000);
    const stalled = (await drs.listSourceServers()).find(
      (s) => s.sourceServerId === sourceIdOf('bcbsaz-ora-02'),
    );
    expect(stalled).toMatchObject({ replicationState: 'STALLED', lagSeconds: 62 * 60 + 5 });
  });

  it.each([
    ['PT1H2M3S', 3723],
    ['PT0S', 0],
    ['PT10M', 600],
    ['P1DT2S', 86_402],
    ['PT1.5S', 1.5],
    ['PT', undefined],
    ['10 minutes', undefined],
    [undefined, undefined],
  ])('parses the lag %j as %j seconds', (text, seconds) => {
    expect(parseIsoDuration(text)).toBe(seconds);
  });
});

describe('DrsAdapter recovery', () => {
  it('recovers two servers into their pre-created instances and follows the job to LAUNCHED', async () => {
    // Prepare
    const { drs, server, sourceIdOf, aws } = await connect();
    const names = ['bcbsaz-ora-01', 'bcbsaz-ora-02'];
    const ids = names.map(sourceIdOf);
    for (const name of names)
      await drs.prepareLaunch(sourceIdOf(name), {
        launchIntoInstanceId: server(name).recovery.instanceId,
        postLaunch: true,
        copyPrivateIp: false,
      });
    const before = await drs.latestSnapshot(ids[0] ?? '');
    // Act
    const jobId = await drs.startRecovery(ids, true, { 'lifeboat:execution': 'exec-1' });
    const pending = await drs.describeJob(jobId);
    const busy = await drs.activeJobCount();
    aws.clock.advance(30 * MINUTE);
    const done = await drs.describeJob(jobId);
    const events = await drs.jobEvents(jobId);
    const instances = await drs.recoveryInstances(ids);
    const idle = await drs.activeJobCount();
    // Assess
    expect(before).toMatchObject({ snapshotId: expect.stringMatching(/^pit-/) });
    expect(before?.dataAt).toBeLessThanOrEqual(aws.clock.now() - 30 * MINUTE);
    expect(pending).toMatchObject({ jobId, status: 'PENDING' });
    expect(pending.endedAt).toBeUndefined();
    expect(busy).toEqual({ jobs: 1, servers: 2 });
    expect(done.status).toBe('COMPLETED');
    expect(done.endedAt).toBeLessThanOrEqual(aws.clock.now());
    expect(done.servers).toEqual(
      names.map((name, i) => ({
        sourceServerId: ids[i],
        status: 'LAUNCHED',
        recoveryInstanceId: server(name).recovery.instanceId,
      })),
    );
    expect(events[0]).toMatchObject({ event: 'JOB_START' });
    expect(events.at(-1)).toMatchObject({ event: 'JOB_END' });
    expect(events.filter((e) => e.sourceServerId === ids[1]).map((e) => e.event)).toEqual([
      'SNAPSHOT_START',
      'SNAPSHOT_END',
      'CONVERSION_START',
      'CONVERSION_END',
      'LAUNCH_START',
    ]);
    expect(events.every((e, i) => i === 0 || e.at >= (events[i - 1]?.at ?? 0))).toBe(true);
    const launched = aws.estate.truth.filter((e) => e.type === 'recovery-launched');
    expect(instances).toHaveLength(2);
    for (const instance of instances) {
      const truth = launched.find((e) => e.sourceServerId === instance.sourceServerId);
      expect(instance).toMatchObject({
        recoveryInstanceId: truth?.instanceId,
        isDrill: true,
        pointInTime: Date.parse(String(truth?.dataAt)),
      });
      expect(['PENDING', 'RUNNING']).toContain(instance.ec2State);
    }
    expect(idle).toEqual({ jobs: 0, servers: 0 });
    expect(aws.estate.instance(server('bcbsaz-ora-01').recovery.instanceId)?.agentRegion).toBe(
      RECOVERY,
    );
  });

  it('reports a failed launch with DRS’s raw error as the event detail', async () => {
    const { drs, sourceIdOf, aws } = await connect({ faults: ['launch-fail:bcbsaz-web-03'] });
    const web3 = sourceIdOf('bcbsaz-web-03');
    const jobId = await drs.startRecovery([web3], true, {});
    aws.clock.advance(30 * MINUTE);
    const job = await drs.describeJob(jobId);
    const failed = (await drs.jobEvents(jobId)).find((e) => e.event === 'LAUNCH_FAILED');
    expect(job.servers).toEqual([{ sourceServerId: web3, status: 'FAILED' }]);
    expect(failed).toMatchObject({
      sourceServerId: web3,
      detail: expect.stringContaining('launch'),
    });
  });

  it('reverses replication after a recovery, finds the reversed server by its origin instance, and terminates', async () => {
    // Prepare
    const { drs, drsIn, server, sourceIdOf, aws, config } = await connect();
    const ora = server('bcbsaz-ora-01');
    const ec2 = new EC2Client(await config(PRIMARY));
    await ec2.send(new StopInstancesCommand({ InstanceIds: [ora.primary.instanceId] }));
    await drs.prepareLaunch(sourceIdOf(ora.name), {
      launchIntoInstanceId: ora.recovery.instanceId,
      postLaunch: true,
      copyPrivateIp: false,
    });
    await drs.startRecovery([sourceIdOf(ora.name)], false, {});
    aws.clock.advance(30 * MINUTE);
    // Act
    const arn = await drs.reverseReplication(ora.recovery.instanceId);
    const back = await (await drsIn(PRIMARY)).findSourceServers([
      { name: ora.name, drs: ora.drs, originInstanceId: ora.recovery.instanceId },
    ]);
    const terminateJob = await drs.terminateRecoveryInstances([ora.recovery.instanceId]);
    // Assess
    expect(arn).toMatch(/^arn:aws:drs:us-east-1:\d{12}:source-server\/s-[0-9a-f]{17}$/);
    const reversed = back.get(ora.name);
    expect(reversed?.sourceServerId).not.toBe(sourceIdOf(ora.name));
    expect(arn.endsWith(`/${reversed?.sourceServerId}`)).toBe(true);
    expect(reversed).toMatchObject({ direction: 'FAILBACK', originRegion: RECOVERY });
    expect((await drs.describeJob(terminateJob)).servers).toEqual([
      expect.objectContaining({ sourceServerId: sourceIdOf(ora.name) }),
    ]);
  });

  it('answers a job that does not exist with a domain error', async () => {
    const { drs } = await connect();
    const error = await drs.describeJob('drsjob-00000000000000000').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AwsCallError);
    expect(error).toMatchObject({ code: 'ResourceNotFoundException', retryable: false });
  });
});

describe('DrsAdapter errors', () => {
  it('surfaces throttling (throttle:1:drs) as ThrottledError, after the SDK’s own retries', async () => {
    // Prepare
    const { drs, aws } = await connect();
    aws.faults.add('throttle:1:drs');
    // Act
    const error = await drs.listSourceServers().catch((e: unknown) => e);
    // Assess
    expect(error).toBeInstanceOf(ThrottledError);
    expect(error).toBeInstanceOf(AwsCallError);
    expect(error).toMatchObject({
      name: 'ThrottledError',
      service: 'drs',
      operation: 'DescribeSourceServers',
      code: 'ThrottlingException',
      retryable: true,
    });
  });

  it('surfaces a region that is down (region-down:us-east-1) as RegionUnreachableError, quickly', async () => {
    // Prepare: credentials were issued before the region went down
    const { drsIn, aws } = await connect();
    const drs = await drsIn(PRIMARY);
    aws.faults.add('region-down:us-east-1');
    const started = performance.now();
    // Act
    const error = await drs.listSourceServers().catch((e: unknown) => e);
    // Assess
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(error).toBeInstanceOf(RegionUnreachableError);
    expect(error).toMatchObject({
      name: 'RegionUnreachableError',
      region: PRIMARY,
      code: 'ECONNRESET',
      retryable: true,
    });
  });

  it('maps a refused call to AwsCallError with the service’s code, not retryable', async () => {
    const { drs } = await connect();
    const error = await drs.latestSnapshot('s-00000000000000000').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AwsCallError);
    expect(error).not.toBeInstanceOf(ThrottledError);
    expect(error).toMatchObject({
      name: 'AwsCallError',
      code: 'ResourceNotFoundException',
      operation: 'DescribeRecoverySnapshots',
      retryable: false,
    });
  });
});
