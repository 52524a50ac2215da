import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type AccountServicesOptions,
  runSession,
  servicesForAccount,
} from '../../../orchestrator/adapters/aws-services.ts';
import {
  AwsCallError,
  ERROR_NAMES,
  LifeboatError,
  RegionUnreachableError,
} from '../../../orchestrator/domain/errors.ts';
import { PLAN_TAG_KEY } from '../../../orchestrator/domain/workload-access.ts';
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
    session: { name: 'lifeboat-test' },
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

  it("tags the session with the run's plan, as the role's trust allows, and not with a plan the account does not hold", async () => {
    // Prepare: the local AWS evaluating the synthesized trust policy
    account = await startLocalAccount('bcbsaz', { iam: true });
    const { id, roleName, externalId } = account.plan.account;
    const servicesFor = (plan: string) =>
      servicesForAccount({
        account: id,
        roleName,
        externalId,
        session: { name: `lifeboat-${plan}` },
        tags: { [PLAN_TAG_KEY]: plan },
        toolingCredentials: async () => TOOLING_CREDENTIALS,
        endpoint: account.aws.endpoints.drs,
        maxAttempts: 1,
      });
    // Act
    const sources = await servicesFor('bcbsaz')(RECOVERY).drs.listSourceServers();
    const refused = await servicesFor('dmnt')(RECOVERY)
      .drs.listSourceServers()
      .catch((e: unknown) => e);
    // Assess
    expect(sources).toHaveLength(44);
    expect(assumedRoles()).toMatchObject([
      { session: 'lifeboat-bcbsaz', tags: { [PLAN_TAG_KEY]: 'bcbsaz' } },
    ]);
    expect(refused).toBeInstanceOf(AwsCallError);
    expect(refused).toMatchObject({ code: 'AccessDenied' });
    expect((refused as Error).message).toContain('sts:TagSession');
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
      session: { name: 'lifeboat-env' },
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

describe('runSession', () => {
  it.each([
    ['dmnt-drill-20250301T0900', 'U01ALICE', 'lifeboat-dmnt-drill-20250301T0900', 'U01ALICE'],
    ['run:1/2', 'cli:alice@example.com', 'lifeboat-run-1-2', 'cli-alice@example.com'],
    ['r', 'X', 'lifeboat-r', undefined],
    ['r', undefined, 'lifeboat-r', undefined],
  ])('names the run %j asked by %j for STS', (executionId, requestedBy, name, sourceIdentity) => {
    // Act
    const session = runSession(executionId, requestedBy);
    // Assess
    expect(session).toEqual({ name, ...(sourceIdentity ? { sourceIdentity } : {}) });
  });

  it('keeps two long execution ids apart within 64 characters', () => {
    // Prepare
    const long = `bcbsaz-failover-${'x'.repeat(60)}`;
    // Act
    const [a, b] = [runSession(`${long}-1`).name, runSession(`${long}-2`).name];
    // Assess
    expect(a).toHaveLength(64);
    expect(b).toHaveLength(64);
    expect(a).not.toBe(b);
    expect(a).toMatch(/^[\w+=,.@-]+$/);
  });
});

/** An STS that records AssumeRole (refusing a source identity, if asked to); every other call fails. */
async function fakeSts(options: { refuseSourceIdentity?: boolean } = {}) {
  const assumed: Record<string, string>[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    request.on('end', () => {
      const form = Object.fromEntries(new URLSearchParams(body));
      if (form.Action !== 'AssumeRole') {
        response.writeHead(400, { 'x-amzn-errortype': 'ValidationException' }).end('{}');
        return;
      }
      assumed.push(form);
      if (options.refuseSourceIdentity && form.SourceIdentity) {
        response
          .writeHead(403, { 'content-type': 'text/xml' })
          .end(
            '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>not authorized to perform: sts:SetSourceIdentity</Message></Error><RequestId>r</RequestId></ErrorResponse>',
          );
        return;
      }
      response
        .writeHead(200, { 'content-type': 'text/xml' })
        .end(
          `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials><AccessKeyId>ASIA0000</AccessKeyId><SecretAccessKey>s</SecretAccessKey><SessionToken>t</SessionToken><Expiration>${new Date(Date.now() + 3_600_000).toISOString()}</Expiration></Credentials><AssumedRoleUser><AssumedRoleId>AROA0:x</AssumedRoleId><Arn>arn:aws:sts::444455556666:assumed-role/r/x</Arn></AssumedRoleUser></AssumeRoleResult></AssumeRoleResponse>`,
        );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { assumed, endpoint: `http://127.0.0.1:${port}`, close: () => server.close() };
}

describe('the customer role session', () => {
  it("asks STS for the run's session name and the requester as source identity, read when assuming", async () => {
    // Prepare
    const sts = await fakeSts();
    let asked = 0;
    const servicesFor = servicesForAccount({
      account: '444455556666',
      roleName: 'LifeboatWorkload',
      externalId: 'lifeboat-ext-1',
      session: async () => {
        asked += 1;
        return runSession('dmnt-drill-1', 'U01ALICE');
      },
      toolingCredentials: async () => TOOLING_CREDENTIALS,
      endpoint: sts.endpoint,
      maxAttempts: 1,
    });
    try {
      // Act: the DRS call fails at the fake; the credentials it needed were issued first
      await servicesFor(RECOVERY)
        .drs.listSourceServers()
        .catch(() => undefined);
    } finally {
      sts.close();
    }
    // Assess
    expect(asked).toBe(1);
    expect(sts.assumed).toEqual([
      expect.objectContaining({
        RoleArn: 'arn:aws:iam::444455556666:role/LifeboatWorkload',
        RoleSessionName: 'lifeboat-dmnt-drill-1',
        SourceIdentity: 'U01ALICE',
        ExternalId: 'lifeboat-ext-1',
      }),
    ]);
  });

  it('assumes the role without a source identity its trust policy refuses, and says so', async () => {
    // Prepare: a role deployed before its template allowed sts:SetSourceIdentity
    const sts = await fakeSts({ refuseSourceIdentity: true });
    const refusals: string[] = [];
    const servicesFor = servicesForAccount({
      account: '444455556666',
      roleName: 'LifeboatWorkload',
      externalId: 'lifeboat-ext-1',
      session: runSession('dmnt-drill-1', 'U01ALICE'),
      onSourceIdentityRefused: (error) => refusals.push(error.name),
      toolingCredentials: async () => TOOLING_CREDENTIALS,
      endpoint: sts.endpoint,
      maxAttempts: 1,
    });
    let error: unknown;
    try {
      // Act
      error = await servicesFor(RECOVERY)
        .drs.listSourceServers()
        .catch((e: unknown) => e);
    } finally {
      sts.close();
    }
    // Assess: the second AssumeRole, without it, gave the credentials the DRS call went out with
    expect(sts.assumed.map((form) => [form.RoleSessionName, form.SourceIdentity])).toEqual([
      ['lifeboat-dmnt-drill-1', 'U01ALICE'],
      ['lifeboat-dmnt-drill-1', undefined],
    ]);
    expect(refusals).toEqual(['AccessDenied']);
    expect((error as Error).message).not.toMatch(/AssumeRole|SetSourceIdentity/);
  });
});
