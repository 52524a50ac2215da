import {
  DescribeInstanceInformationCommand,
  GetCommandInvocationCommand,
  type InstanceInformation,
  InvalidInstanceId,
  InvocationDoesNotExist,
  ListCommandInvocationsCommand,
  ListCommandsCommand,
  paginateDescribeInstanceInformation,
  paginateListCommandInvocations,
  SendCommandCommand,
  type SendCommandCommandInput,
  SSMClient,
  SSMServiceException,
  ThrottlingException,
} from '@aws-sdk/client-ssm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Plan } from '../../../orchestrator/domain/plan.ts';
import type { Instance } from '../../../sandbox/aws/estate.ts';
import type { LocalAws } from '../../../sandbox/aws/local-aws.ts';
import { readSample } from '../../helpers.ts';
import { assumeCustomer, clientConfig, startSampleAws } from './harness.ts';

const PRIMARY = 'us-east-1';
const RECOVERY = 'us-east-2';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let aws: LocalAws;
let bcbsaz: Plan;
beforeEach(async () => {
  const plan = await readSample('bcbsaz');
  bcbsaz = plan;
  aws = await startSampleAws();
});
afterEach(() => aws.stop());

async function connectSsm(region: Plan['regions']['primary']): Promise<SSMClient> {
  return new SSMClient(clientConfig(aws, region, await assumeCustomer(aws, bcbsaz, region)));
}

function findServer(name: string) {
  const server = bcbsaz.servers.find((s) => s.name === name);
  if (!server) throw new Error(`no server ${name}`);
  return server;
}

function findPrimary(name: string): string {
  return findServer(name).primary.instanceId;
}

function findInstance(instanceId: string): Instance {
  const instance = aws.estate.instance(instanceId);
  if (!instance) throw new Error(`no instance ${instanceId}`);
  return instance;
}

async function send(
  ssm: SSMClient,
  DocumentName: string,
  InstanceIds: string[],
  extra: Partial<SendCommandCommandInput> = {},
): Promise<string> {
  const { Command } = await ssm.send(
    new SendCommandCommand({ DocumentName, InstanceIds, ...extra }),
  );
  if (!Command?.CommandId) throw new Error('SendCommand gave no command id');
  return Command.CommandId;
}

function getInvocation(ssm: SSMClient, CommandId: string, InstanceId: string) {
  return ssm.send(new GetCommandInvocationCommand({ CommandId, InstanceId }));
}

async function listInstanceInformation(
  ssm: SSMClient,
  instanceIds?: string[],
): Promise<InstanceInformation[]> {
  const found: InstanceInformation[] = [];
  const Filters = instanceIds ? [{ Key: 'InstanceIds', Values: instanceIds }] : undefined;
  for await (const page of paginateDescribeInstanceInformation(
    { client: ssm, pageSize: 5 },
    { Filters },
  ))
    found.push(...(page.InstanceInformationList ?? []));
  return found;
}

async function readPingStatus(ssm: SSMClient, instanceId: string): Promise<string | undefined> {
  const [info] = await listInstanceInformation(ssm, [instanceId]);
  return info?.PingStatus;
}

describe('SSM managed instances', () => {
  it('reports the bcbsaz primaries Online in us-east-1, and not in us-east-2', async () => {
    // Prepare
    const primaries = bcbsaz.servers.map((s) => s.primary.instanceId);
    // Act
    const east1 = await listInstanceInformation(await connectSsm(PRIMARY), primaries);
    const east2 = await listInstanceInformation(await connectSsm(RECOVERY), primaries);
    // Assess
    expect(east1.map((i) => i.InstanceId).sort()).toEqual([...primaries].sort());
    for (const info of east1) {
      const server = bcbsaz.servers.find((s) => s.primary.instanceId === info.InstanceId);
      expect(info).toMatchObject({
        PingStatus: 'Online',
        ResourceType: 'EC2Instance',
        PlatformType: findInstance(info.InstanceId ?? '').platform,
        ComputerName: server?.name,
        IPAddress: server?.primary.ip,
      });
      expect(info.AgentVersion).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
      expect(info.LastPingDateTime?.getTime()).toBe(aws.clock.now());
    }
    expect(east2).toEqual([]);
  });

  it('pages DescribeInstanceInformation with a small MaxResults, every instance exactly once', async () => {
    // Prepare
    const expected = aws.estate
      .instancesIn(bcbsaz.account.id, PRIMARY)
      .map((i) => i.instanceId)
      .sort();
    const ssm = await connectSsm(PRIMARY);
    // Act
    const pages: number[] = [];
    const seen: string[] = [];
    for await (const page of paginateDescribeInstanceInformation(
      { client: ssm },
      { MaxResults: 5 },
    )) {
      pages.push(page.InstanceInformationList?.length ?? 0);
      seen.push(...(page.InstanceInformationList ?? []).map((i) => i.InstanceId ?? ''));
    }
    // Assess
    expect(expected.length).toBeGreaterThan(40);
    expect(pages.length).toBe(Math.ceil(expected.length / 5));
    expect(Math.max(...pages)).toBe(5);
    expect([...seen].sort()).toEqual(expected);
  });

  it('shows a stopped instance that was managed as ConnectionLost', async () => {
    // Prepare
    const ora01 = findPrimary('bcbsaz-ora-01');
    const stoppedAt = aws.clock.now();
    aws.estate.stop(findInstance(ora01), 'test');
    aws.clock.advance(120_000);
    // Act
    const [info] = await listInstanceInformation(await connectSsm(PRIMARY), [ora01]);
    // Assess
    expect(info?.PingStatus).toBe('ConnectionLost');
    expect(info?.LastPingDateTime?.getTime()).toBeLessThanOrEqual(stoppedAt);
  });

  it('follows an instance whose agent is re-pointed to the other region', async () => {
    // Prepare
    const ora01 = findPrimary('bcbsaz-ora-01');
    const [east1, east2] = [await connectSsm(PRIMARY), await connectSsm(RECOVERY)];
    const before = [await readPingStatus(east1, ora01), await readPingStatus(east2, ora01)];
    // Act
    aws.estate.repointAgent(findInstance(ora01), RECOVERY);
    const after = [await readPingStatus(east1, ora01), await readPingStatus(east2, ora01)];
    const refused = await send(east1, 'Lifeboat-OracleOpenCheck', [ora01]).catch((e) => e);
    const accepted = await send(east2, 'Lifeboat-OracleOpenCheck', [ora01]);
    // Assess
    expect(before).toEqual(['Online', undefined]);
    expect(after).toEqual(['ConnectionLost', 'Online']);
    expect(refused).toBeInstanceOf(InvalidInstanceId);
    expect(accepted).toMatch(UUID);
  });

  it('brings a started instance Online only after its status checks and agent start-up', async () => {
    // Prepare
    const ora01 = findPrimary('bcbsaz-ora-01');
    const ssm = await connectSsm(PRIMARY);
    aws.estate.stop(findInstance(ora01), 'test');
    aws.clock.advance(120_000);
    aws.estate.start(findInstance(ora01), 'test');
    const checksPassAt = findInstance(ora01).statusOkAt ?? 0;
    // Act
    aws.clock.advance(checksPassAt - aws.clock.now());
    const atChecks = await readPingStatus(ssm, ora01);
    aws.clock.advance(60_000);
    const aMinuteLater = await readPingStatus(ssm, ora01);
    // Assess
    expect(atChecks).toBe('ConnectionLost');
    expect(aMinuteLater).toBe('Online');
  });

  it('records the moment a started agent comes Online as ground truth, the moment SSM first shows it', async () => {
    // Prepare
    const ora01 = findPrimary('bcbsaz-ora-01');
    const ssm = await connectSsm(PRIMARY);
    aws.estate.stop(findInstance(ora01), 'test');
    aws.clock.advance(120_000);
    aws.estate.start(findInstance(ora01), 'test');
    aws.clock.advance((findInstance(ora01).statusOkAt ?? 0) - aws.clock.now());
    // Act: second by second until SSM shows it Online
    let seconds = 0;
    while ((await readPingStatus(ssm, ora01)) !== 'Online' && seconds++ < 120)
      aws.clock.advance(1_000);
    // Assess: one event, for this start, within the second SSM first showed it
    const truth = aws.estate.truth.filter((e) => e.type === 'ssm-agent-online');
    expect(truth).toEqual([
      { at: expect.any(String), type: 'ssm-agent-online', instanceId: ora01, region: PRIMARY },
    ]);
    const onlineAt = Date.parse(String(truth[0]?.at));
    expect(onlineAt).toBeGreaterThan(aws.clock.now() - 1_000);
    expect(onlineAt).toBeLessThanOrEqual(aws.clock.now());
  });

  it('records no agent coming Online for an instance stopped before its agent started', async () => {
    // Prepare
    const ora01 = findPrimary('bcbsaz-ora-01');
    aws.estate.stop(findInstance(ora01), 'test');
    aws.clock.advance(120_000);
    aws.estate.start(findInstance(ora01), 'test');
    // Act: stopped at its status checks, before the agent's start-up
    aws.clock.advance((findInstance(ora01).statusOkAt ?? 0) - aws.clock.now());
    aws.estate.stop(findInstance(ora01), 'test');
    aws.clock.advance(600_000);
    // Assess
    expect(aws.estate.instance(ora01)?.state).toBe('stopped');
    expect(aws.estate.truth.filter((e) => e.type === 'ssm-agent-online')).toEqual([]);
  });
});

describe('SSM Run Command', () => {
  it('answers InvocationDoesNotExist at first, then InProgress, then Success', async () => {
    // Prepare
    const ora01 = findPrimary('bcbsaz-ora-01');
    const ssm = await connectSsm(PRIMARY);
    // Act
    const { Command } = await ssm.send(
      new SendCommandCommand({ DocumentName: 'Lifeboat-OracleOpenCheck', InstanceIds: [ora01] }),
    );
    const commandId = Command?.CommandId ?? '';
    const first = await getInvocation(ssm, commandId, ora01).catch((e) => e);
    aws.clock.advance(3_000);
    const running = await getInvocation(ssm, commandId, ora01);
    aws.clock.advance(60_000);
    const done = await getInvocation(ssm, commandId, ora01);
    // Assess
    expect(Command).toMatchObject({
      CommandId: expect.stringMatching(UUID),
      Status: 'Pending',
      DocumentName: 'Lifeboat-OracleOpenCheck',
      InstanceIds: [ora01],
      TargetCount: 1,
    });
    expect(Command?.RequestedDateTime?.getTime()).toBe(aws.clock.now() - 63_000);
    expect(first).toBeInstanceOf(InvocationDoesNotExist);
    expect(running).toMatchObject({ Status: 'InProgress', ResponseCode: -1 });
    expect(done).toMatchObject({ Status: 'Success', StatusDetails: 'Success', ResponseCode: 0 });
    expect(done.StandardOutputContent).toContain('Lifeboat-OracleOpenCheck');
    expect(done.StandardOutputContent).toContain(ora01);
    expect(Date.parse(done.ExecutionEndDateTime ?? '')).toBeLessThanOrEqual(aws.clock.now());
  });

  it('fails Lifeboat-HrpSmokeTest under validation-fail:Lifeboat-HrpSmokeTest, and no other document', async () => {
    // Prepare
    const [app01, sftp01] = [findPrimary('bcbsaz-app-01'), findPrimary('bcbsaz-sftp-01')];
    const ssm = await connectSsm(PRIMARY);
    aws.faults.add('validation-fail:Lifeboat-HrpSmokeTest');
    // Act
    const smoke = await send(ssm, 'Lifeboat-HrpSmokeTest', [app01]);
    const sftp = await send(ssm, 'Lifeboat-SftpRoundTrip', [sftp01]);
    aws.clock.advance(310_000);
    // Assess
    const failed = await getInvocation(ssm, smoke, app01);
    expect(failed).toMatchObject({ Status: 'Failed', StatusDetails: 'Failed', ResponseCode: 1 });
    expect(failed.StandardErrorContent).toContain('Lifeboat-HrpSmokeTest');
    expect(await getInvocation(ssm, sftp, sftp01)).toMatchObject({ Status: 'Success' });
  });

  it('decides the validation-fail fault when a command is sent', async () => {
    // Prepare
    const app01 = findPrimary('bcbsaz-app-01');
    const ssm = await connectSsm(PRIMARY);
    const before = await send(ssm, 'Lifeboat-HrpSmokeTest', [app01]);
    // Act
    aws.faults.add('validation-fail');
    const after = await send(ssm, 'Lifeboat-HrpSmokeTest', [app01]);
    aws.faults.clear();
    aws.clock.advance(310_000);
    // Assess
    expect((await getInvocation(ssm, before, app01)).Status).toBe('Success');
    expect((await getInvocation(ssm, after, app01)).Status).toBe('Failed');
  });

  it('refuses a command to an unmanaged instance with InvalidInstanceId', async () => {
    // Prepare
    const recovery = findServer('bcbsaz-ora-01').recovery.instanceId;
    const ssm = await connectSsm(RECOVERY);
    // Act
    const error = await send(ssm, 'Lifeboat-OracleOpenCheck', [recovery]).catch((e) => e);
    // Assess
    expect(findInstance(recovery).state).toBe('stopped');
    expect(error).toBeInstanceOf(InvalidInstanceId);
    expect((error as InvalidInstanceId).message).toContain(recovery);
    expect(aws.estate.truth.filter((e) => e.type === 'ssm-command')).toEqual([]);
  });

  it('accepts Targets with the InstanceIds key', async () => {
    // Prepare
    const ora02 = findPrimary('bcbsaz-ora-02');
    const ssm = await connectSsm(PRIMARY);
    // Act
    const { Command } = await ssm.send(
      new SendCommandCommand({
        DocumentName: 'Lifeboat-OracleListenerCheck',
        Targets: [{ Key: 'InstanceIds', Values: [ora02] }],
      }),
    );
    aws.clock.advance(63_000);
    // Assess
    expect(Command?.TargetCount).toBe(1);
    expect((await getInvocation(ssm, Command?.CommandId ?? '', ora02)).Status).toBe('Success');
  });

  it('ends a run Failed when its instance stops mid-run', async () => {
    // Prepare
    const ora01 = findPrimary('bcbsaz-ora-01');
    const ssm = await connectSsm(PRIMARY);
    const commandId = await send(ssm, 'Lifeboat-OracleOpenCheck', [ora01]);
    aws.clock.advance(3_000);
    const running = await getInvocation(ssm, commandId, ora01);
    // Act
    aws.estate.stop(findInstance(ora01), 'test');
    aws.clock.advance(1_000);
    const stopped = await getInvocation(ssm, commandId, ora01);
    // Assess
    expect(running.Status).toBe('InProgress');
    expect(stopped).toMatchObject({ Status: 'Failed', StatusDetails: 'Failed', ResponseCode: -1 });
  });

  it('ends a run Undeliverable when its instance stops before the command reaches the agent', async () => {
    // Prepare
    const ora01 = findPrimary('bcbsaz-ora-01');
    const ssm = await connectSsm(PRIMARY);
    const commandId = await send(ssm, 'Lifeboat-OracleOpenCheck', [ora01]);
    // Act
    aws.estate.stop(findInstance(ora01), 'test');
    aws.clock.advance(5_000);
    const result = await getInvocation(ssm, commandId, ora01);
    // Assess
    expect(result).toMatchObject({ Status: 'Failed', StatusDetails: 'Undeliverable' });
    expect(result.ExecutionStartDateTime).toBe('');
  });

  it.each([
    ['TimeoutSeconds', { TimeoutSeconds: 30 }, 30_000, 'DeliveryTimedOut'],
    [
      'an executionTimeout parameter',
      { Parameters: { executionTimeout: ['10'] } },
      13_000,
      'ExecutionTimedOut',
    ],
  ])('times out a run that outlasts %s', async (_, extra, timedOutBy, details) => {
    // Prepare: a smoke test runs a minute or more, longer than either timeout.
    const app01 = findPrimary('bcbsaz-app-01');
    const ssm = await connectSsm(PRIMARY);
    const commandId = await send(ssm, 'Lifeboat-HrpSmokeTest', [app01], extra);
    aws.clock.advance(3_000);
    const before = await getInvocation(ssm, commandId, app01);
    // Act
    aws.clock.advance(timedOutBy - 3_000);
    const after = await getInvocation(ssm, commandId, app01);
    // Assess
    expect(before.Status).toBe('InProgress');
    expect(after).toMatchObject({ Status: 'TimedOut', StatusDetails: details });
  });

  it('pages ListCommandInvocations with a small MaxResults, every invocation exactly once', async () => {
    // Prepare
    const targets = bcbsaz.servers
      .filter((s) => s.role === 'application')
      .map((s) => s.primary.instanceId);
    const ssm = await connectSsm(PRIMARY);
    const commandId = await send(ssm, 'Lifeboat-AppCheck', targets);
    aws.clock.advance(63_000);
    // Act
    const pages: number[] = [];
    const seen: string[] = [];
    const outputs: string[] = [];
    for await (const page of paginateListCommandInvocations(
      { client: ssm, pageSize: 5 },
      { CommandId: commandId, Details: true },
    )) {
      pages.push(page.CommandInvocations?.length ?? 0);
      for (const inv of page.CommandInvocations ?? []) {
        seen.push(inv.InstanceId ?? '');
        outputs.push(inv.CommandPlugins?.[0]?.Output ?? '');
      }
    }
    const brief = await ssm.send(new ListCommandInvocationsCommand({ CommandId: commandId }));
    // Assess
    expect(targets.length).toBe(12);
    expect(pages).toEqual([5, 5, 2]);
    expect([...seen].sort()).toEqual([...targets].sort());
    for (const output of outputs) expect(output).toContain('Lifeboat-AppCheck');
    expect(brief.CommandInvocations?.every((i) => i.CommandPlugins?.length === 0)).toBe(true);
  });

  it('shows no invocations in ListCommandInvocations until SSM has them', async () => {
    // Prepare
    const ora01 = findPrimary('bcbsaz-ora-01');
    const ssm = await connectSsm(PRIMARY);
    const commandId = await send(ssm, 'Lifeboat-OracleOpenCheck', [ora01]);
    // Act
    const early = await ssm.send(new ListCommandInvocationsCommand({ CommandId: commandId }));
    aws.clock.advance(3_000);
    const later = await ssm.send(new ListCommandInvocationsCommand({ CommandId: commandId }));
    // Assess
    expect(early.CommandInvocations).toEqual([]);
    expect(later.CommandInvocations?.map((i) => [i.InstanceId, i.Status])).toEqual([
      [ora01, 'InProgress'],
    ]);
  });

  it('lists commands by command id and by instance, with their overall status', async () => {
    // Prepare
    const [ora01, ora02] = [findPrimary('bcbsaz-ora-01'), findPrimary('bcbsaz-ora-02')];
    const ssm = await connectSsm(PRIMARY);
    aws.faults.add('validation-fail:Lifeboat-OracleListenerCheck');
    const open = await send(ssm, 'Lifeboat-OracleOpenCheck', [ora01]);
    const listener = await send(ssm, 'Lifeboat-OracleListenerCheck', [ora01, ora02]);
    aws.clock.advance(63_000);
    // Act
    const byId = await ssm.send(new ListCommandsCommand({ CommandId: listener }));
    const byInstance = await ssm.send(new ListCommandsCommand({ InstanceId: ora02 }));
    const all = await ssm.send(new ListCommandsCommand({}));
    // Assess
    expect(byId.Commands).toMatchObject([
      { CommandId: listener, Status: 'Failed', TargetCount: 2, CompletedCount: 2, ErrorCount: 2 },
    ]);
    expect(byInstance.Commands?.map((c) => c.CommandId)).toEqual([listener]);
    expect(all.Commands?.map((c) => [c.CommandId, c.Status])).toEqual([
      [open, 'Success'],
      [listener, 'Failed'],
    ]);
  });

  it('records the ground truth when a command is sent, and the run keeps to it', async () => {
    // Prepare
    const [app01, web01] = [findPrimary('bcbsaz-app-01'), findPrimary('bcbsaz-web-01')];
    const ssm = await connectSsm(PRIMARY);
    aws.faults.add('validation-fail:Lifeboat-HrpSmokeTest');
    // Act
    const commandId = await send(ssm, 'Lifeboat-HrpSmokeTest', [app01, web01]);
    // Assess
    const truth = aws.estate.truth.find((e) => e.type === 'ssm-command');
    expect(truth).toMatchObject({
      account: bcbsaz.account.id,
      region: PRIMARY,
      commandId,
      document: 'Lifeboat-HrpSmokeTest',
      instanceIds: [app01, web01],
      outcomes: { [app01]: 'Failed', [web01]: 'Failed' },
    });
    const endsAt = Date.parse(String(truth?.endsAt));
    const byInstance = truth?.endsAtByInstance as Record<string, string>;
    expect(Object.keys(byInstance)).toEqual([app01, web01]);
    expect(Math.max(...Object.values(byInstance).map(Date.parse))).toBe(endsAt);
    aws.clock.advance(endsAt - aws.clock.now() - 1);
    const statuses = async () =>
      Promise.all(
        [app01, web01].map(async (id) => (await getInvocation(ssm, commandId, id)).Status),
      );
    expect(await statuses()).toContain('InProgress');
    aws.clock.advance(1);
    expect(await statuses()).toEqual(['Failed', 'Failed']);
  });

  it('answers throttling with SSM’s ThrottlingException', async () => {
    // Prepare
    const ssm = await connectSsm(PRIMARY);
    aws.faults.add('throttle:1:ssm');
    // Act
    const error = await ssm.send(new DescribeInstanceInformationCommand({})).catch((e) => e);
    // Assess
    expect(error).toBeInstanceOf(ThrottlingException);
    expect((error as ThrottlingException).$metadata.httpStatusCode).toBe(400);
  });

  it('refuses a SendCommand without a document name with ValidationException', async () => {
    // Prepare
    const ssm = await connectSsm(PRIMARY);
    // Act
    const error = await send(ssm, '', [findPrimary('bcbsaz-ora-01')]).catch((e) => e);
    // Assess
    expect(error).toBeInstanceOf(SSMServiceException);
    expect((error as SSMServiceException).name).toBe('ValidationException');
    expect((error as SSMServiceException).message).toContain('DocumentName');
  });
});
