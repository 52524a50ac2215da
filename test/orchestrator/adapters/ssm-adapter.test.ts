import { ListCommandsCommand, SSMClient } from '@aws-sdk/client-ssm';
import { afterEach, describe, expect, it } from 'vitest';
import { SsmAdapter } from '../../../orchestrator/adapters/ssm-adapter.ts';
import { AwsCallError } from '../../../orchestrator/domain/errors.ts';
import type { Region } from '../../../orchestrator/domain/regions.ts';
import {
  type LocalAccount,
  MINUTE,
  PRIMARY,
  RECOVERY,
  startLocalAccount,
} from './local-account.ts';

const SMOKE = 'Lifeboat-HrpSmokeTest';

let account: LocalAccount;
afterEach(() => account?.aws.stop());

/** The adapter for a region of the account already started. */
async function ssmIn(region: Region) {
  const client = new SSMClient(await account.config(region));
  return { ssm: new SsmAdapter(client, region), client };
}

/** A fresh local AWS, and the adapter for a region. */
async function fresh(region: Region) {
  account = await startLocalAccount();
  return ssmIn(region);
}

function primaries(...names: string[]): string[] {
  return names.map((name) => account.server(name).primary.instanceId);
}

describe('SsmAdapter.onlineInstances', () => {
  it('answers the instances Online in the region, across more ids than one filter takes', async () => {
    // Prepare: 44 primaries online in us-east-1, 44 stopped recovery instances
    const { ssm } = await fresh(PRIMARY);
    const primaryIds = account.plan.servers.map((s) => s.primary.instanceId);
    const recoveryIds = account.plan.servers.map((s) => s.recovery.instanceId);
    // Act
    const online = await ssm.onlineInstances([...primaryIds, ...recoveryIds]);
    const elsewhere = await (await ssmIn(RECOVERY)).ssm.onlineInstances(primaryIds);
    // Assess
    expect([...online].sort()).toEqual([...primaryIds].sort());
    expect(elsewhere.size).toBe(0);
  });

  it('leaves out an instance whose agent lost its connection', async () => {
    const { ssm } = await fresh(PRIMARY);
    const [ora, app] = primaries('bcbsaz-ora-01', 'bcbsaz-app-01');
    const instance = account.aws.estate.instance(ora ?? '');
    if (instance) account.aws.estate.stop(instance, 'test');
    account.aws.clock.advance(2 * MINUTE);
    expect([...(await ssm.onlineInstances([ora ?? '', app ?? '']))]).toEqual([app]);
  });
});

describe('SsmAdapter commands', () => {
  it('sends a document with executionTimeout and TimeoutSeconds; results are Pending, InProgress, then Success', async () => {
    // Prepare
    const { ssm, client } = await fresh(PRIMARY);
    const ids = primaries('bcbsaz-app-01', 'bcbsaz-app-02');
    // Act
    const commandId = await ssm.sendCommand(SMOKE, ids, { mode: ['quick'] }, 600);
    const first = await ssm.commandResults(commandId, ids);
    account.aws.clock.advance(5_000);
    const running = await ssm.commandResults(commandId, ids);
    account.aws.clock.advance(10 * MINUTE);
    const done = await ssm.commandResults(commandId, ids);
    // Assess
    const { Commands } = await client.send(new ListCommandsCommand({ CommandId: commandId }));
    expect(Commands?.[0]).toMatchObject({
      DocumentName: SMOKE,
      Parameters: { mode: ['quick'], executionTimeout: ['600'] },
      TimeoutSeconds: 600,
    });
    expect(first).toEqual(ids.map((instanceId) => ({ instanceId, status: 'Pending' })));
    expect(running.map((r) => r.status)).toEqual(['InProgress', 'InProgress']);
    expect(running.every((r) => r.endedAt === undefined)).toBe(true);
    expect(done).toHaveLength(ids.length);
    for (const [i, result] of done.entries()) {
      expect(result).toMatchObject({ instanceId: ids[i], status: 'Success' });
      expect(result.output).toContain(SMOKE);
      expect(result.endedAt).toBeLessThanOrEqual(account.aws.clock.now());
      expect(result.endedAt).toBeGreaterThan(account.aws.clock.now() - 10 * MINUTE);
    }
  });

  it('reports a failed document with its error output', async () => {
    const { ssm } = await fresh(PRIMARY);
    account.aws.faults.add(`validation-fail:${SMOKE}`);
    const ids = primaries('bcbsaz-app-01');
    const commandId = await ssm.sendCommand(SMOKE, ids, {}, 600);
    account.aws.clock.advance(10 * MINUTE);
    const [result] = await ssm.commandResults(commandId, ids);
    expect(result).toMatchObject({
      status: 'Failed',
      output: expect.stringContaining('exit code'),
    });
  });

  it('times a command out after its timeout', async () => {
    const { ssm } = await fresh(PRIMARY);
    const ids = primaries('bcbsaz-app-01');
    const commandId = await ssm.sendCommand(SMOKE, ids, {}, 30);
    account.aws.clock.advance(10 * MINUTE);
    expect(await ssm.commandResults(commandId, ids)).toMatchObject([{ status: 'TimedOut' }]);
  });

  it('maps a command to an instance that is not managed here to AwsCallError', async () => {
    const { ssm } = await fresh(RECOVERY);
    const error = await ssm
      .sendCommand(SMOKE, primaries('bcbsaz-app-01'), {}, 600)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AwsCallError);
    expect(error).toMatchObject({ service: 'ssm', code: 'InvalidInstanceId' });
  });
});
