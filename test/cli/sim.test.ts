import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { DescribeSourceServersCommand, DrsClient } from '@aws-sdk/client-drs';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { afterEach, describe, expect, it } from 'vitest';
import { FilePlanSource } from '../../orchestrator/adapters/config-files.ts';
import { ROOT, SHIPPED_PLANS } from '../helpers.ts';

let child: ChildProcess | undefined;
afterEach(async () => {
  if (child && child.exitCode === null) {
    child.kill('SIGINT');
    await once(child, 'exit');
  }
});

/** Starts `lifeboat sim` as a person would and returns the first line it prints. */
async function sim(
  ...args: string[]
): Promise<{ endpoints: Record<string, string>; control: string }> {
  child = spawn(process.execPath, ['bin/lifeboat.mjs', 'sim', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const [line] = (await once(lines, 'line')) as [string];
  return JSON.parse(line);
}

describe('lifeboat sim', () => {
  it('prints its endpoints as JSON, answers the real SDK, takes faults and stops on Ctrl-C', async () => {
    // Act
    const { endpoints, control } = await sim(
      '--speed',
      '60',
      '--seed',
      '3',
      '--fault',
      'stall:bcbsaz-ora-01',
      '--fault',
      'throttle:0.1:ssm',
    );
    // Assess
    expect(Object.keys(endpoints).sort()).toEqual([
      'cloudformation',
      'drs',
      'dynamodb',
      'ec2',
      'lambda',
      'route53',
      's3',
      'ssm',
      'sts',
    ]);
    const faults = await (await fetch(`${control}/faults`)).json();
    expect(faults).toEqual({ faults: ['stall:bcbsaz-ora-01', 'throttle:0.1:ssm'] });
    // `lifeboat sim` seeds the shipped plans, as a user runs it.
    const { plan: bcbsaz } = await new FilePlanSource(SHIPPED_PLANS).loadPlan('bcbsaz');
    const local = {
      region: 'us-east-2',
      endpoint: endpoints.sts,
      credentials: { accessKeyId: 'AKIALOCAL', secretAccessKey: 'x' },
    };
    const { Credentials } = await new STSClient(local).send(
      new AssumeRoleCommand({
        RoleArn: `arn:aws:iam::${bcbsaz?.account.id}:role/LifeboatExecution`,
        RoleSessionName: 't',
        ExternalId: bcbsaz?.account.externalId,
      }),
    );
    const drs = new DrsClient({
      ...local,
      endpoint: endpoints.drs,
      credentials: {
        accessKeyId: Credentials?.AccessKeyId ?? '',
        secretAccessKey: Credentials?.SecretAccessKey ?? '',
      },
    });
    const { items } = await drs.send(new DescribeSourceServersCommand({}));
    expect(items).toHaveLength(44);
    const clock = (await (await fetch(`${control}/clock`)).json()) as { speed: number };
    expect(clock.speed).toBe(60);
    child?.kill('SIGINT');
    const [code] = await once(child as ChildProcess, 'exit');
    expect(code).toBe(0);
  });

  it('refuses a bad fault with the syntax and exit 2', async () => {
    child = spawn(process.execPath, ['bin/lifeboat.mjs', 'sim', '--fault', 'throttle:lots'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (d) => {
      stderr += String(d);
    });
    const [code] = await once(child, 'exit');
    expect(code).toBe(2);
    expect(stderr).toContain(
      '"throttle:lots" is not a fault: the rate must be a number from 0 to 1',
    );
  });
});
