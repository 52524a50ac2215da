import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DrsClient, TagResourceCommand, UntagResourceCommand } from '@aws-sdk/client-drs';
import { CreateTagsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../cli/main.ts';
import type { Plan } from '../../orchestrator/domain/plan.ts';
import type { LocalAws } from '../../sandbox/aws/local-aws.ts';
import { readSample, SAMPLE_PLANS } from '../helpers.ts';
import {
  assumeCustomer,
  clientConfig,
  startSampleAws,
  TOOLING_CREDENTIALS,
} from '../sandbox/aws/harness.ts';

/** `lifeboat plan validate <customer> --live` with the SDK pointed at `aws`, as an operator's shell would be. */
async function live(
  aws: LocalAws,
  customerId: string,
  options: { plans?: string; json?: boolean; env?: Record<string, string> } = {},
): Promise<{ code: number; out: string; err: string }> {
  const env = {
    ...aws.environment(),
    AWS_ACCESS_KEY_ID: TOOLING_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: TOOLING_CREDENTIALS.secretAccessKey,
    ...options.env,
  };
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  const out: string[] = [];
  const err: string[] = [];
  const args = ['plan', 'validate', customerId, '--live', '--plans', options.plans ?? SAMPLE_PLANS];
  const code = await main(options.json ? [...args, '--json'] : args, {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** A folder holding the sample plan of `customerId` with its text changed by `edit`. */
async function variant(customerId: string, edit: (text: string) => string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'lifeboat-live-'));
  const text = await readFile(join(SAMPLE_PLANS, `${customerId}.yaml`), 'utf8');
  const changed = edit(text);
  expect(changed).not.toBe(text);
  await writeFile(join(dir, `${customerId}.yaml`), changed);
  return dir;
}

afterEach(() => vi.unstubAllEnvs());

describe('lifeboat plan validate --live, through the read-only role IAM evaluates', () => {
  let aws: LocalAws;
  beforeAll(async () => {
    aws = await startSampleAws({ iam: true });
  });
  afterAll(() => aws.stop());

  it('passes the sample plan, exit 0, having assumed only the read-only role and been denied nothing', async () => {
    // Act
    const { code, out } = await live(aws, 'bcbsaz');
    // Assess
    expect(out).toMatch(
      /^Live check of bcbsaz in account 410000000101 through LifeboatExecutionReadOnly, us-east-1 -> us-east-2$/m,
    );
    expect(out).toMatch(
      /^ok {3}bcbsaz: 44 source servers, 90 instances, 44 SSM agents; all tagged lifeboat:plan=bcbsaz/m,
    );
    expect(code).toBe(0);
    const assumed = aws.estate.truth.filter((e) => e.type === 'assume-role');
    expect(new Set(assumed.map((e) => e.roleName))).toEqual(new Set(['LifeboatExecutionReadOnly']));
    expect(aws.iam?.stats.asked).toBeGreaterThan(0);
    expect(aws.iam?.stats.denied).toBe(0);
  });

  it.each(['dmnt', 'nwhealth', 'shared-east', 'shared-west'])(
    'passes the sample plan of %s',
    async (customerId) => {
      // Act
      const { code, out } = await live(aws, customerId);
      // Assess
      expect(out).toMatch(new RegExp(`^ok {3}${customerId}: `, 'm'));
      expect(code).toBe(0);
    },
  );

  it('reports a pre-created instance that does not exist, with what to do, and exits 1', async () => {
    // Prepare: the plan names a recovery instance nobody created
    const plan = await readSample('dmnt');
    const server = plan.servers[2] as Plan['servers'][number];
    const plans = await variant('dmnt', (t) =>
      t.replace(server.recovery.instanceId, 'i-0badc0ffee0000001'),
    );
    // Act
    const { code, out } = await live(aws, 'dmnt', { plans });
    // Assess
    expect(out).toContain(
      `  servers[2].recovery.instanceId: ${server.name}: i-0badc0ffee0000001 does not exist in us-west-1. Fix: pre-create the recovery instance in us-west-1 (tagged lifeboat:plan=dmnt, AWSDRS=AllowLaunchingIntoThisInstance) and put its id in servers[2].recovery.instanceId [instance-missing]`,
    );
    expect(out).toMatch(/^FAIL dmnt: 1 problem \(checked 10 source servers/m);
    expect(code).toBe(1);
  });

  it('says so, as JSON, when the primary and recovery ids of a server are swapped', async () => {
    // Prepare
    const plan = await readSample('dmnt');
    const { primary, recovery } = plan.servers[0] as Plan['servers'][number];
    const plans = await variant('dmnt', (t) =>
      t
        .replace(primary.instanceId, 'PRIMARY')
        .replace(recovery.instanceId, primary.instanceId)
        .replace('PRIMARY', recovery.instanceId),
    );
    // Act
    const { code, out } = await live(aws, 'dmnt', { plans, json: true });
    // Assess
    const result = JSON.parse(out) as { ok: boolean; problems: { code: string; path: string }[] };
    expect(result.ok).toBe(false);
    expect(result.problems.map((p) => [p.code, p.path])).toEqual(
      expect.arrayContaining([
        ['instance-region', 'servers[0].primary.instanceId'],
        ['instance-region', 'servers[0].recovery.instanceId'],
      ]),
    );
    expect(code).toBe(1);
  });

  it('names the role it could not assume and what to do, without a stack trace', async () => {
    // Prepare: a plan naming a role the account does not have
    const plans = await variant('dmnt', (t) =>
      t.replace('roleName: LifeboatExecution', 'roleName: LifeboatMissing'),
    );
    // Act
    const { code, out, err } = await live(aws, 'dmnt', { plans });
    // Assess
    expect(err).toMatch(
      /^Could not assume LifeboatMissingReadOnly in \d{12} \(AccessDenied\): .*deploy the role template/,
    );
    expect(err).not.toMatch(/\n\s+at /);
    expect(out).toBe('');
    expect(code).toBe(1);
  });

  it('says what the read-only role may not read, and why, when the plan names a region its template was not deployed for', async () => {
    // Prepare: dmnt's recovery region moved in the plan, not in the deployed role
    const plans = await variant('dmnt', (t) =>
      t.replace('recovery: us-west-1', 'recovery: us-east-2'),
    );
    // Act
    const { code, err } = await live(aws, 'dmnt', { plans });
    // Assess
    expect(err).toMatch(
      /^LifeboatExecutionReadOnly in \d{12} may not call \w+ \w+ \((AccessDeniedException|UnauthorizedOperation)\): .*Redeploy the customer's role template .* with this plan's regions\.$/,
    );
    expect(code).toBe(1);
  });

  it('says throttling stopped the check before it finished, exit 1', async () => {
    // Prepare
    const fault = aws.addFault('throttle:1:drs');
    try {
      // Act
      const { code, err } = await live(aws, 'dmnt', { env: { AWS_MAX_ATTEMPTS: '1' } });
      // Assess
      expect(err).toMatch(
        /^AWS throttled drs DescribeSourceServers \(\w+\), so the check did not finish/,
      );
      expect(code).toBe(1);
    } finally {
      aws.faults.remove(fault);
    }
  });

  it('names the plans it knows for an unknown customer, exit 1', async () => {
    // Act
    const { code, err, out } = await live(aws, 'nobody', { json: true });
    // Assess
    expect(err).toMatch(/nobody/);
    expect(JSON.parse(out)).toMatchObject({ customerId: 'nobody', ok: false });
    expect(code).toBe(1);
  });
});

describe('lifeboat plan validate --live, after the customer changed tags', () => {
  let aws: LocalAws;
  let plan: Plan;
  beforeAll(async () => {
    // Without IAM: the customer's own administrators change the tags, which Lifeboat's roles may not.
    aws = await startSampleAws({ iam: false });
    plan = await readSample('dmnt');
  });
  afterAll(() => aws.stop());

  it('reports a source server whose plan tag was removed, one tagged for another plan, and an instance retagged, each with the fix', async () => {
    // Prepare
    const { recovery, primary } = plan.regions;
    const admin = await assumeCustomer(aws, plan, recovery);
    const drs = new DrsClient(clientConfig(aws, recovery, admin));
    const arnOf = (i: number) => {
      const drs = plan.servers[i]?.drs;
      if (!drs || !('sourceServerId' in drs))
        throw new Error(`servers[${i}] names no source server id`);
      return `arn:aws:drs:${recovery}:${plan.account.id}:source-server/${drs.sourceServerId}`;
    };
    await drs.send(new UntagResourceCommand({ resourceArn: arnOf(1), tagKeys: ['lifeboat:plan'] }));
    await drs.send(
      new TagResourceCommand({ resourceArn: arnOf(3), tags: { 'lifeboat:plan': 'bcbsaz' } }),
    );
    const source = plan.servers[4]?.primary.instanceId ?? '';
    await new EC2Client({
      ...clientConfig(aws, primary, await assumeCustomer(aws, plan, primary)),
      endpoint: aws.endpoints.ec2,
    }).send(
      new CreateTagsCommand({
        Resources: [source],
        Tags: [{ Key: 'lifeboat:plan', Value: 'nwhealth' }],
      }),
    );
    // Act
    const { code, out } = await live(aws, 'dmnt');
    // Assess
    const lines = out.split('\n');
    expect(lines.filter((l) => l.startsWith('  '))).toEqual([
      `  servers[1].drs: ${plan.servers[1]?.name}: DRS source server ${arnOf(1).split('/')[1]} in ${recovery} is not tagged lifeboat:plan, so Lifeboat may not recover it. Fix: aws drs tag-resource --region ${recovery} --resource-arn ${arnOf(1)} --tags lifeboat:plan=dmnt [plan-tag]`,
      `  servers[3].drs: ${plan.servers[3]?.name}: DRS source server ${arnOf(3).split('/')[1]} in ${recovery} is tagged lifeboat:plan=bcbsaz, another plan's, not dmnt's. Fix: aws drs tag-resource --region ${recovery} --resource-arn ${arnOf(3)} --tags lifeboat:plan=dmnt [plan-tag]`,
      `  servers[4].primary.instanceId: ${plan.servers[4]?.name}: ${source} in ${primary} is tagged lifeboat:plan=nwhealth, another plan's, not dmnt's. Fix: aws ec2 create-tags --region ${primary} --resources ${source} --tags Key=lifeboat:plan,Value=dmnt [plan-tag]`,
    ]);
    expect(lines.at(-1)).toMatch(
      /^FAIL dmnt: 3 problems \(checked 10 source servers, 20 instances/,
    );
    expect(code).toBe(1);
  });
});
