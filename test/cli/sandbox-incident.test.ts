import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers.ts';
import { lifeboatInProcess, lifeboatThroughSlowPipe } from '../support/pipe.ts';

describe('npm start -- --incident us-east-1 (lifeboat sandbox --incident)', () => {
  it('plays the region-wide failover in the fake Slack: requested by alice, approved by two others, every plan recovered, the report written, exit 0', async () => {
    // Prepare
    const reportDir = await mkdtemp(join(tmpdir(), 'lifeboat-incident-'));
    // Act: the command, its output through a real pipe read late (a plain log, whole to its end)
    const { stdout, stderr } = await lifeboatThroughSlowPipe(
      ['sandbox', '--incident', 'us-east-1', '--report-dir', reportDir],
      { timeout: 170_000 },
    );
    // Assess: the exit code is 0, or execFile would have thrown
    expect(stdout).not.toContain('\x1b');
    expect(stderr).not.toMatch(/failed|Error/);
    // alice asks in the operations channel; its request card, then the incident card, are there
    expect(stdout).toContain('› alice typed /dr failover region us-east-1 us-east-1 is down');
    const requestCard = stdout.search(
      /^Lifeboat APP {2}\S+ {2}#C0DROPS\n {2}Region-wide failover requested: us-east-1$/m,
    );
    const incidentCard = stdout.search(
      /^Lifeboat APP {2}\S+ {2}#C0DROPS\n {2}Region-wide failover: us-east-1$/m,
    );
    expect(requestCard).toBeGreaterThan(-1);
    expect(incidentCard).toBeGreaterThan(requestCard);
    // two different people approved, neither of them alice, before the incident card
    const approvals = [
      ...stdout.matchAll(
        /^› (\w+) clicked \[ Approve \] and confirmed “Approve the region-wide failover\?”$/gm,
      ),
    ];
    const approvers = approvals.map((m) => m[1]);
    expect(new Set(approvers).size).toBe(2);
    expect(approvers).not.toContain('alice');
    expect(approvals.every((m) => m.index < incidentCard)).toBe(true);
    expect(stdout).toMatch(/✅ Approved by Bob Builder \(U02BOB\), Dave Diaz \(U04DAVE\)/);
    // each customer's own card, in its own channel
    expect(stdout).toMatch(/#C0SHAREDDR\n {2}Failover: Shared services \(us-east-1\)\n/);
    expect(stdout).toMatch(/#C0BCBSAZDR\n {2}Failover: BCBS of Arizona\n/);
    expect(stdout).toMatch(/#C0NWHEALTHDR\n {2}Failover: Northwind Health Plan\n/);
    // the notifier showed the end before the sandbox's closing lines
    const ended = stdout.indexOf(
      '✅ Succeeded: the region-wide failover of us-east-1 ended, 3 of 3 plans recovered',
    );
    const closing = stdout.search(/^Region-wide failover of us-east-1: incident \S+ succeeded/m);
    expect(ended).toBeGreaterThan(incidentCard);
    expect(closing).toBeGreaterThan(ended);
    // every plan of us-east-1 succeeded, with its RTO and RPO against its targets
    const plans = Object.fromEntries(
      [
        ...stdout
          .slice(closing)
          .matchAll(/^ {2}(\S+) +(\w+), failover (\w+)(?: with exclusions)?: RTO .+ RPO .+$/gm),
      ].map((m) => [m[1], `${m[2]} ${m[3]}`]),
    );
    expect(plans, stdout.slice(closing, closing + 2000)).toEqual({
      'shared-east': 'succeeded succeeded',
      bcbsaz: 'succeeded succeeded',
      nwhealth: 'succeeded succeeded',
    });
    // the incident's report files are named, and there
    const incidentId = /incident (incident-us-east-1-\S+) succeeded/.exec(
      stdout.slice(closing),
    )?.[1];
    expect(stdout.slice(closing)).toContain(
      `Incident report files, in ${join(reportDir, 'incidents', incidentId ?? '')}:`,
    );
    const files = [...stdout.slice(closing).matchAll(/^ {2}(\S+report\.(?:html|json|md))$/gm)].map(
      (m) => resolve(ROOT, m[1] ?? ''),
    );
    expect(files.map((f) => f.split('.').pop()).sort()).toEqual(['html', 'json', 'md']);
    expect(
      files.every(
        (f) => f.startsWith(join(reportDir, 'incidents', incidentId ?? '')) && existsSync(f),
      ),
    ).toBe(true);
  }, 180_000);

  it.each([
    [['sandbox', '--incident', 'us-east-9'], '"us-east-9" is not a region Lifeboat knows'],
    [['sandbox', '--incident', 'us-east-2'], 'No plan in'],
    [['sandbox', 'bcbsaz', '--incident', 'us-east-1'], '--incident plays every plan'],
    [['sandbox', '--incident', 'us-east-1', '--interactive'], '--incident plays every plan'],
  ])('refuses %j as a usage error before starting anything', async (args, message) => {
    // Act
    const { code, stderr } = await lifeboatInProcess(...args);
    // Assess
    expect(code).toBe(2);
    expect(stderr).toContain(message);
  });
});
