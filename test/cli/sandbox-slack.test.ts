import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { main } from '../../cli/main.ts';
import { readSlackSettings } from '../../cli/sandbox-slack.ts';
import { ioTerminal } from '../../cli/terminal.ts';

const GOOD = {
  SLACK_BOT_TOKEN: 'xoxb-1-2-abc',
  SLACK_APP_TOKEN: 'xapp-1-A1-2-abc',
  SLACK_SIGNING_SECRET: 'secret',
};

async function emptyDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'lifeboat-slack-'));
}

/** `lifeboat sandbox --slack` in-process, with this environment and working directory. */
async function sandboxSlack(env: Record<string, string>, cwd: string, ...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const io = { out: (l: string) => out.push(l), err: (l: string) => err.push(l) };
  const terminal = ioTerminal(io, { input: new PassThrough(), env, cwd });
  const code = await main(['sandbox', '--slack', ...args], io, terminal);
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

describe('lifeboat sandbox --slack', () => {
  it('exits 1 naming all three variables when none is set and there is no .env', async () => {
    // Prepare
    const cwd = await emptyDir();
    // Act
    const { code, stderr } = await sandboxSlack({}, cwd);
    // Assess
    expect(code).toBe(1);
    expect(stderr).toContain(
      '--slack needs SLACK_BOT_TOKEN, SLACK_APP_TOKEN, SLACK_SIGNING_SECRET: set them in the environment',
    );
    expect(stderr).toContain(`${join(cwd, '.env')} (there is no such file)`);
  });

  it('names only what neither the environment nor .env gives', async () => {
    // Prepare
    const cwd = await emptyDir();
    await writeFile(
      join(cwd, '.env'),
      `# Lifeboat dev app\nSLACK_BOT_TOKEN=${GOOD.SLACK_BOT_TOKEN}\n`,
    );
    // Act
    const { code, stderr } = await sandboxSlack({ SLACK_SIGNING_SECRET: 'from-env' }, cwd);
    // Assess
    expect(code).toBe(1);
    expect(stderr).toContain('--slack needs SLACK_APP_TOKEN: set it in the environment or in');
    expect(stderr).toContain('(it has no value for them)');
    expect(stderr).not.toContain('SLACK_BOT_TOKEN,');
  });

  it('reads --env-file instead of .env', async () => {
    // Prepare
    const cwd = await emptyDir();
    // Act
    const { code, stderr } = await sandboxSlack({}, cwd, '--env-file', 'slack.env');
    // Assess
    expect(code).toBe(1);
    expect(stderr).toContain(join(cwd, 'slack.env'));
  });

  it('refuses --slack with --interactive as a usage error', async () => {
    // Act
    const { code, stderr } = await sandboxSlack(GOOD, await emptyDir(), '--interactive');
    // Assess
    expect(code).toBe(2);
    expect(stderr).toContain('--slack and --interactive do not go together');
  });
});

describe('readSlackSettings', () => {
  it.each([
    ['all three from the environment', GOOD, '', true, ''],
    ['the environment before .env', GOOD, 'SLACK_BOT_TOKEN=xoxb-from-file', true, ''],
    [
      'all three from .env',
      {},
      Object.entries(GOOD)
        .map(([k, v]) => `${k}=${v}`)
        .join('\n'),
      true,
      '',
    ],
    [
      'a blank variable is missing',
      { ...GOOD, SLACK_SIGNING_SECRET: ' ' },
      '',
      false,
      'needs SLACK_SIGNING_SECRET',
    ],
    [
      'a user token as the bot token',
      { ...GOOD, SLACK_BOT_TOKEN: 'xoxp-1' },
      '',
      false,
      'starting xoxb-',
    ],
    [
      'the bot token as the app token',
      { ...GOOD, SLACK_APP_TOKEN: 'xoxb-1' },
      '',
      false,
      'starting xapp-',
    ],
  ])('%s', async (_what, env, file, ok, problem) => {
    // Prepare
    const dir = await emptyDir();
    if (file) await writeFile(join(dir, '.env'), file);
    // Act
    const settings = await readSlackSettings(env, join(dir, '.env'));
    // Assess
    expect(settings.ok).toBe(ok);
    if (settings.ok) expect(settings.values.SLACK_BOT_TOKEN).toBe(GOOD.SLACK_BOT_TOKEN);
    else expect(settings.problem).toContain(problem);
  });
});
