import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers.ts';

const BIN = join(ROOT, 'bin', 'lifeboat.mjs');

/** Runs `lifeboat sandbox --interactive` with these lines on its stdin, as a script would. */
function interactive(
  lines: string[],
  ...args: string[]
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'sandbox', '--interactive', ...args], {
      cwd: ROOT,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(`${lines.join('\n')}\n`);
  });
}

describe('lifeboat sandbox --interactive, driven through stdin', () => {
  it('takes a request, refuses the wrong approvers, lets bob approve, and quits with exit 0', async () => {
    // Act
    const { code, stdout, stderr } = await interactive(
      [
        'help',
        '/dr drill bcbsaz',
        'mallory> approve',
        'alice> approve',
        'nobody> approve',
        'bob> approve',
        'wait 3',
        'quit',
        'alice> /dr drill dmnt',
      ],
      '--fault',
      'throttle:0.1:drs',
    );
    // Assess
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).not.toContain('\x1b');
    expect(stdout).toContain('› You are alice, in #C0BCBSAZDR (BCBS of Arizona).');
    expect(stdout).toContain('sign-off [who]    press "Record sign-off"');
    expect(stdout).toContain('› alice typed /dr drill bcbsaz');
    expect(stdout).toMatch(/only visible to alice\n {2}Requested the drill of BCBS of Arizona/);
    expect(stdout).toContain('› mallory clicked [ Approve ]');
    // Denials are private answers to the one who clicked (wrapped to the terminal's width).
    const flat = stdout.replace(/\s+/g, ' ');
    expect(flat).toContain(
      'only visible to mallory To approve operations on BCBS of Arizona (bcbsaz) you need the approver role, and you have no role on it.',
    );
    expect(flat).toContain(
      'only visible to alice To approve operations on BCBS of Arizona (bcbsaz) you need the approver role, and you are an operator.',
    );
    expect(stdout).toContain('› Nobody is called “nobody” here; type users.');
    expect(stdout).toContain('› bob clicked [ Approve ] and confirmed “Approve the drill?”');
    expect(stdout).toMatch(/✅ Approved by Bob Builder \(U02BOB\)/);
    // The request card came before anyone clicked; nothing after quit ran.
    expect(stdout.indexOf('  [ Approve ]  [ Reject ]')).toBeLessThan(
      stdout.indexOf('› mallory clicked'),
    );
    expect(stdout).not.toContain('drill dmnt');
  }, 150_000);
});
