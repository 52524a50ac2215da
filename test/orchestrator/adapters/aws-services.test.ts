import { afterEach, describe, expect, it } from 'vitest';
import {
  type AccountServicesOptions,
  servicesForAccount,
} from '../../../orchestrator/adapters/aws-services.ts';
import {
  AwsCallError,
  ERROR_NAMES,
  LifeboatError,
  RegionUnreachableError,
} from '../../../orchestrator/domain/errors.ts';
import { TOOLING_CREDENTIALS } from '../../sandbox/aws/harness.ts';
import { type LocalAccount, PRIMARY, RECOVERY, startLocalAccount } from './local-account.ts';

let account: LocalAccount;
let endpointVariables: string[] = [];
afterEach(async () => {
  for (const name of endpointVariables) delete process.env[name];
  endpointVariables = [];
  await account?.aws.stop();
});

async function services(overrides: Partial<AccountServicesOptions> = {}) {
  account = await startLocalAccount();
  const { id, roleName, externalId } = account.plan.account;
  return servicesForAccount({
    account: id,
    roleName,
    externalId,
    sessionName: 'lifeboat-test',
    toolingCredentials: async () => TOOLING_CREDENTIALS,
    endpoint: account.aws.endpoints.drs,
    maxAttempts: 2,
    ...overrides,
  });
}

function assumedRoles() {
  return account.aws.estate.truth.filter((e) => e.type === 'assume-role');
}

describe('servicesForAccount', () => {
  it('assumes the customer role once per region, shared by the region’s clients, built once', async () => {
    // Prepare
    const servicesFor = await services();
    const primaries = account.plan.servers.map((s) => s.primary.instanceId);
    // Act
    const east2 = servicesFor(RECOVERY);
    const sources = await east2.drs.listSourceServers();
    const online = await servicesFor(PRIMARY).ssm.onlineInstances(primaries);
    const instances = await servicesFor(PRIMARY).ec2.describe(primaries.slice(0, 2));
    // Assess
    expect(servicesFor(RECOVERY)).toBe(east2);
    expect(sources).toHaveLength(44);
    expect(online.size).toBe(44);
    expect(instances).toHaveLength(2);
    expect(assumedRoles()).toMatchObject([
      { account: account.plan.account.id, session: 'lifeboat-test' },
      { account: account.plan.account.id, session: 'lifeboat-test' },
    ]);
  });

  it('fails with a domain error, not retryable, when the external id is wrong', async () => {
    // Prepare
    const servicesFor = await services({ externalId: 'not-the-external-id' });
    // Act
    const error = await servicesFor(RECOVERY)
      .drs.listSourceServers()
      .catch((e: unknown) => e);
    // Assess
    expect(error).toBeInstanceOf(AwsCallError);
    expect(error).toBeInstanceOf(LifeboatError);
    expect(error).toMatchObject({
      name: ERROR_NAMES.AwsCallError,
      code: 'AccessDenied',
      retryable: false,
    });
    expect((error as Error).message).toContain('external id');
    expect(assumedRoles()).toEqual([]);
  });

  it('reports the primary region gone (region-down:us-east-1) quickly, and the recovery region still works', async () => {
    // Prepare
    const servicesFor = await services();
    account.aws.faults.add('region-down:us-east-1');
    const started = performance.now();
    // Act
    const error = await servicesFor(PRIMARY)
      .drs.listSourceServers()
      .catch((e: unknown) => e);
    const elapsed = performance.now() - started;
    const recovery = await servicesFor(RECOVERY).drs.listSourceServers();
    // Assess
    expect(error).toBeInstanceOf(RegionUnreachableError);
    expect(error).toMatchObject({ name: ERROR_NAMES.RegionUnreachableError, region: PRIMARY });
    expect(elapsed).toBeLessThan(5_000);
    expect(recovery).toHaveLength(44);
  });

  it('reaches every service through the standard AWS_ENDPOINT_URL_* variables alone', async () => {
    // Prepare
    account = await startLocalAccount('nwhealth');
    const environment = account.aws.environment();
    endpointVariables = Object.keys(environment).filter((name) => !(name in process.env));
    Object.assign(process.env, environment);
    const { id, roleName, externalId } = account.plan.account;
    const east2 = servicesForAccount({
      account: id,
      roleName,
      externalId,
      sessionName: 'lifeboat-env',
      toolingCredentials: async () => TOOLING_CREDENTIALS,
    })(RECOVERY);
    // Act
    const results = await Promise.all([
      east2.drs.activeJobCount(),
      east2.ec2.describe([account.plan.servers[0]?.recovery.instanceId ?? '']),
      east2.dns.zoneExists(account.plan.dns?.zones.recovery ?? ''),
      east2.ssm.onlineInstances([account.plan.servers[0]?.primary.instanceId ?? '']),
      east2.hooks.invokeLambda('lifeboat-eks-scale', {}),
      east2.hooks.stackStatus('nwhealth-valkey-dr'),
    ]);
    // Assess
    expect(results).toEqual([
      { jobs: 0, servers: 0 },
      [expect.objectContaining({ state: 'stopped' })],
      true,
      new Set(),
      expect.objectContaining({ ok: true }),
      expect.objectContaining({ done: true, ok: true }),
    ]);
  });
});
