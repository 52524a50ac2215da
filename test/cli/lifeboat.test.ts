import { execFile } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { main } from '../../cli/main.ts';
import { FIXTURES, ROOT } from '../helpers.ts';

const run = promisify(execFile);
const BIN = join(ROOT, 'bin', 'lifeboat.mjs');

/** The real CLI as a person runs it: a process, its output and its exit code. */
async function lifeboat(
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { cwd: ROOT });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** The same commands in-process, for the cases that need no process of their own. */
async function inProcess(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

describe('lifeboat plan validate', () => {
  it('passes the sample customers with exit 0', async () => {
    const { code, stdout } = await lifeboat('plan', 'validate');
    expect(code).toBe(0);
    expect(stdout).toMatch(/ok +config\/customers\/bcbsaz\.yaml: bcbsaz, 44 servers in 5 waves/);
    expect(stdout).toContain('5 plans valid');
  });

  it('exits 1 and prints file, line, path and value for every problem', async () => {
    const broken = join('test', 'fixtures', 'plans', 'broken');
    const { code, stdout } = await inProcess(
      'plan',
      'validate',
      join(FIXTURES, 'plans', 'valid', 'tiny.yaml'),
      join(ROOT, broken, 'unknown-server.yaml'),
      join(ROOT, broken, 'duplicate-ip.yaml'),
    );
    expect(code).toBe(1);
    expect(stdout).toMatch(/ok +.*tiny\.yaml/);
    expect(stdout).toContain(
      `${broken}/unknown-server.yaml:60: waves[2].servers[1]: "tiny-web-99" is not a server of this plan`,
    );
    expect(stdout).toMatch(
      /duplicate-ip\.yaml:38: servers\[2\]\.primary\.ip: 10\.1\.20\.21 is already used/,
    );
    expect(stdout).toMatch(/duplicate-ip\.yaml:39: servers\[2\]\.recovery\.ip/);
    expect(stdout).toContain('2 of 3 plans invalid');
  });

  it('says a missing file is missing', async () => {
    const { code, stdout } = await inProcess('plan', 'validate', 'nowhere.yaml');
    expect(code).toBe(1);
    expect(stdout).toContain('nowhere.yaml: The file does not exist');
  });
});

describe('lifeboat plan show', () => {
  it('prints bcbsaz as JSON: 44 servers in waves and the runbooks of each operation', async () => {
    // Act
    const { code, stdout } = await lifeboat('plan', 'show', 'bcbsaz', '--json');
    // Assess
    expect(code).toBe(0);
    const shown = JSON.parse(stdout) as {
      waves: { name: string; servers: { name: string }[] }[];
      runbooks: Record<string, { kind: string }[]>;
    };
    expect(shown.waves.map((w) => w.name)).toEqual([
      'database',
      'application',
      'web',
      'file-transfer',
      'monitoring',
    ]);
    expect(shown.waves.flatMap((w) => w.servers.map((s) => s.name))).toHaveLength(44);
    expect(Object.keys(shown.runbooks)).toEqual(['drill', 'failover', 'failback']);
    for (const steps of Object.values(shown.runbooks)) {
      expect(steps[0]?.kind).toBe('preflight');
      expect(steps[1]?.kind).toBe('gate');
      expect(steps.at(-1)?.kind).toBe('report');
    }
  });

  it('shows the waves with boot order, hooks, targets and the runbook for a person', async () => {
    const { code, stdout } = await inProcess(
      'plan',
      'show',
      'nwhealth',
      '--operation',
      'bubble-drill',
    );
    expect(code).toBe(0);
    expect(stdout).toContain('Northwind Health Plan (nwhealth) · GC · us-east-1 -> us-east-2');
    expect(stdout).toContain('Targets: RPO 30m, RTO 4h · drills: isolated');
    expect(stdout).toMatch(
      /boot 1: nwhealth-airflow-01, nwhealth-sftp-01, nwhealth-moveit-01\n\s+boot 2: nwhealth-airflow-02/,
    );
    expect(stdout).toContain(
      'post-hook valkey-rebuild (stack deploy lifeboat-nwhealth-valkey-dr; failover)',
    );
    expect(stdout).toContain('Runbook: bubble-drill (11 steps)');
    expect(stdout).not.toContain('Runbook: failover');
  });

  it('names the known customers for an unknown one, with exit 1', async () => {
    const { code, stderr } = await inProcess('plan', 'show', 'acme');
    expect(code).toBe(1);
    expect(stderr).toContain(
      'No plan for customer "acme". Known customers: bcbsaz, dmnt, nwhealth',
    );
  });

  it('refuses an unknown operation with the valid ones, with exit 2', async () => {
    const { code, stderr } = await inProcess('plan', 'show', 'bcbsaz', '--operation', 'dril');
    expect(code).toBe(2);
    expect(stderr).toContain(
      '"dril" is not an operation; use one of drill, bubble-drill, failover, failback',
    );
  });
});

describe('lifeboat run', () => {
  it('runs stepped with --speed 0, as without it: the failover of dmnt ends with its RTO and RPO', async () => {
    // Prepare
    const reportDir = await mkdtemp(join(tmpdir(), 'lifeboat-run-'));
    // Act: in this process, as a run needs no process of its own (its start alone cost seconds)
    const { code, stdout } = await inProcess(
      'run',
      'failover',
      'dmnt',
      '--speed',
      '0',
      '--report-dir',
      reportDir,
    );
    // Assess
    expect(code).toBe(0);
    expect(stdout).toMatch(
      /succeeded: RTO \d+s \(target 14400s, met\), RPO \d+s \(target 900s, met\)/,
    );
    expect(stdout).toContain(`Report: ${join(reportDir, 'failover-dmnt-')}`);
  }, 60_000);

  it.each([
    ['--speed=-1', '--speed must be a number of 0 or more, not "-1"'],
    ['--seed=x', '--seed must be a number of 0 or more, not "x"'],
  ])('refuses %s as a usage error before starting anything', async (option, message) => {
    const { code, stderr } = await inProcess('run', 'drill', 'dmnt', option);
    expect(code).toBe(2);
    expect(stderr).toContain(message);
  });
});

describe('lifeboat run failover --region', () => {
  it.each([
    [['run', 'drill', '--region', 'us-east-1'], 2, 'A region-wide run is a failover'],
    [['run', 'failover', 'bcbsaz', '--region', 'us-east-1'], 2, 'A region-wide run is a failover'],
    [['run', 'failover', '--region', 'mars-1'], 2, '"mars-1" is not a region Lifeboat knows'],
    [
      ['run', 'failover', '--region', 'us-west-1', '--fault', 'region-down:us-west-1'],
      1,
      'No plan has us-west-1 as its primary region',
    ],
  ])(
    'refuses %j with exit %i, saying what is wrong',
    async (args, exit, message) => {
      const { code, stderr } = await inProcess(...args);
      expect(code).toBe(exit);
      expect(stderr).toContain(message);
    },
    60_000,
  );
});

describe('lifeboat', () => {
  it('prints usage with exit 2 for an unknown command or flag', async () => {
    for (const args of [
      ['plan', 'frobnicate'],
      ['plan', 'show', 'bcbsaz', '--jsn'],
    ]) {
      const { code, stderr } = await inProcess(...args);
      expect(code).toBe(2);
      expect(stderr).toContain('Usage:');
    }
  });
});
