import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers.ts';
import { lifeboatInProcess, lifeboatThroughSlowPipe } from '../support/pipe.ts';

describe('npm start (lifeboat sandbox)', () => {
  it('plays the bcbsaz drill in the fake Slack as a person reads the channel, writes the report and exits 0', async () => {
    // Prepare
    const reportDir = await mkdtemp(join(tmpdir(), 'lifeboat-start-'));
    // Act: the command `npm start` runs, its output through a real pipe read late (not a TTY:
    // a plain log, which must arrive whole to its last line)
    const { stdout, stderr } = await lifeboatThroughSlowPipe(
      ['sandbox', '--report-dir', reportDir],
      {
        timeout: 170_000,
      },
    );
    // Assess: the exit code is 0, or execFile would have thrown
    expect(stdout).not.toContain('\x1b');
    expect(stderr).not.toMatch(/failed|Error/);
    // alice's request and its private answer, then the request card with its pre-flight and buttons
    expect(stdout).toContain('› alice typed /dr drill bcbsaz');
    expect(stdout).toMatch(
      /only visible to alice\n {2}Requested the drill of BCBS of Arizona \(bcbsaz\)/,
    );
    expect(stdout).toContain('  Drill requested: BCBS of Arizona');
    expect(stdout).toMatch(/Pre-flight \(10\/10 pass\)/);
    expect(stdout).toContain('  [ Approve ]  [ Reject ]');
    // bob's click, and the card saying who approved
    expect(stdout).toContain('› bob clicked [ Approve ] and confirmed “Approve the drill?”');
    expect(stdout).toMatch(
      /✎ .*“Drill requested: BCBS of Arizona”\n.*\n {2}✅ Approved by Bob Builder \(U02BOB\) \d{4}-\d\d-\d\d \d\d:\d\d UTC/,
    );
    // the thread, wave by wave, the failover then the failback
    const waves = [
      ...stdout.matchAll(/ {2}│ {3}✅ Wave (\d)\/5 (\S+): recover \d+ servers in (us-east-\d)/g),
    ].map((m) => `${m[1]} ${m[2]} ${m[3]}`);
    expect(waves).toEqual([
      '1 database us-east-2',
      '2 application us-east-2',
      '3 web us-east-2',
      '4 file-transfer us-east-2',
      '5 monitoring us-east-2',
      '1 database us-east-1',
      '2 application us-east-1',
      '3 web us-east-1',
      '4 file-transfer us-east-1',
      '5 monitoring us-east-1',
    ]);
    // carol signs off through the modal, after the validation and before the failback
    // The failover's last validation script, before the customer is asked.
    const validated = stdout.indexOf('✅ validation: run Lifeboat-SftpRoundTrip');
    const prompt = stdout.indexOf('📋 Customer sign-off needed.');
    const signed = stdout.indexOf('› carol submitted “Customer sign-off”: contact "Pat Doe');
    const failback = stdout.indexOf('Wave 1/5 database: recover 6 servers in us-east-1');
    expect(stdout).toContain('› carol clicked [ Record sign-off ]');
    expect(stdout).toContain('│   ┃ [ Cancel ]  [ Record ]');
    expect(stdout).toMatch(/✅ Signed off by @carol/);
    expect(prompt).toBeGreaterThan(stdout.indexOf('validation: run Lifeboat-HrpSmokeTest'));
    expect(signed).toBeGreaterThan(prompt);
    expect(failback).toBeGreaterThan(signed);
    expect(validated).toBeGreaterThan(-1);
    expect(prompt).toBeGreaterThan(validated);
    // the status card's final state, then the report broadcast with RTO and RPO
    expect(stdout).toMatch(/✎ .*“Drill: BCBS of Arizona”\n {2}Status: ✅ Succeeded +Phase: Report/);
    expect(stdout).toMatch(
      /🎉 Drill of BCBS of Arizona succeeded\n.* {3}RTO (?:\d+[hms])+ \(target 4h, (✅ met|❌ missed)\)\n.* {3}RPO \d+s \(target 15m, ✅ met\)/,
    );
    expect(stdout).toContain('also sent to the channel');
    // where the report is, and it is there
    expect(stdout).toMatch(/BCBS of Arizona: drill succeeded in \d+ s of real time\./);
    const files = [...stdout.matchAll(/^ {2}(\S+\.(?:html|json|md))$/gm)].map((m) =>
      resolve(ROOT, m[1] ?? ''),
    );
    expect(files).toHaveLength(3);
    expect(files.every((f) => f.startsWith(reportDir) && existsSync(f))).toBe(true);
  }, 180_000);

  it.each([
    [['sandbox', 'acme'], 'No customer "acme"'],
    [['sandbox', '--speed', 'fast'], '--speed must be 0 (stepped) or more'],
    [['sandbox', 'bcbsaz', 'dmnt'], 'at most one customer'],
  ])('refuses %j as a usage error before starting anything', async (args, message) => {
    // Act
    const { code, stderr } = await lifeboatInProcess(...args);
    // Assess
    expect(code).toBe(2);
    expect(stderr).toContain(message);
  });
});
