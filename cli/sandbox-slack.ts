import { readFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { WebClient } from '@slack/web-api';
import { FilePlanSource } from '../orchestrator/adapters/config-files.ts';
import { SANDBOX_USERS } from '../sandbox/slack-sandbox.ts';
import { parseDotEnv } from './dotenv.ts';
import { type Io, ROOT } from './io.ts';
import { startSandbox } from './sandbox-session.ts';
import type { Terminal } from './terminal.ts';

/** What `--slack` needs, from the environment or `.env`. */
export const SLACK_VARIABLES = [
  'SLACK_BOT_TOKEN',
  'SLACK_APP_TOKEN',
  'SLACK_SIGNING_SECRET',
] as const;
type SlackVariable = (typeof SLACK_VARIABLES)[number];

export type SlackSettings =
  | { ok: true; values: Record<SlackVariable, string> }
  | { ok: false; problem: string };

/**
 * The three Slack variables, the environment first, then the `.env` file; a clear problem
 * naming what is missing or malformed otherwise.
 */
export async function readSlackSettings(
  env: Readonly<Record<string, string | undefined>>,
  envFile: string,
): Promise<SlackSettings> {
  let fromFile: Record<string, string> = {};
  let found = true;
  try {
    fromFile = parseDotEnv(await readFile(envFile, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    found = false;
  }
  const value = (name: SlackVariable) => env[name]?.trim() || fromFile[name]?.trim() || '';
  const missing = SLACK_VARIABLES.filter((name) => !value(name));
  if (missing.length > 0)
    return {
      ok: false,
      problem: `--slack needs ${missing.join(', ')}: set ${missing.length === 1 ? 'it' : 'them'} in the environment or in ${envFile} (${found ? 'it has no value for them' : 'there is no such file'}). The bot token (xoxb-…) and signing secret come from your Slack app's OAuth & Permissions and Basic Information pages; the app-level token (xapp-…, scope connections:write) from Basic Information > App-Level Tokens. README.md, "Your own Slack workspace", walks through it.`,
    };
  const values = Object.fromEntries(SLACK_VARIABLES.map((n) => [n, value(n)])) as Record<
    SlackVariable,
    string
  >;
  if (!values.SLACK_BOT_TOKEN.startsWith('xoxb-'))
    return { ok: false, problem: 'SLACK_BOT_TOKEN must be a bot token, starting xoxb-.' };
  if (!values.SLACK_APP_TOKEN.startsWith('xapp-'))
    return {
      ok: false,
      problem:
        'SLACK_APP_TOKEN must be an app-level token with connections:write, starting xapp- (Basic Information > App-Level Tokens).',
    };
  return { ok: true, values };
}

export interface SlackSandboxRun {
  plansDir: string;
  speed: number;
  faults: readonly string[];
  terminal: Terminal;
  io: Io;
  envFile?: string;
}

/**
 * `lifeboat sandbox --slack`: the same sandbox, with the bot answering a real workspace over
 * Socket Mode (no public address needed) while AWS stays simulated. Serves until interrupted.
 */
export async function runSlackSandbox(run: SlackSandboxRun): Promise<number> {
  const { terminal, io } = run;
  const envFile = run.envFile
    ? isAbsolute(run.envFile)
      ? run.envFile
      : join(terminal.cwd, run.envFile)
    : join(terminal.cwd, '.env');
  const settings = await readSlackSettings(terminal.env, envFile);
  if (!settings.ok) {
    io.err(settings.problem);
    return 1;
  }
  const { SLACK_BOT_TOKEN, SLACK_APP_TOKEN, SLACK_SIGNING_SECRET } = settings.values;
  let identity: { team?: string; team_id?: string; user_id?: string; bot_id?: string };
  try {
    identity = await new WebClient(SLACK_BOT_TOKEN, { retryConfig: { retries: 1 } }).auth.test();
  } catch (error) {
    io.err(`Slack refused the bot token (auth.test): ${(error as Error).message}`);
    return 1;
  }
  const warning = await sampleWarning(run.plansDir);
  const sandbox = await startSandbox({
    plansDir: run.plansDir,
    speed: run.speed,
    faults: [...run.faults],
    reportDir: join(ROOT, 'reports'),
    workspace: {
      botToken: SLACK_BOT_TOKEN,
      signingSecret: SLACK_SIGNING_SECRET,
      teamId: identity.team_id ?? '',
      ...(identity.bot_id ? { botId: identity.bot_id } : {}),
      ...(identity.user_id ? { botUserId: identity.user_id } : {}),
    },
    onEvent: (line) => io.err(line),
  });
  await sandbox.connect(SLACK_APP_TOKEN);
  terminal.write(
    `Lifeboat answers /dr in ${identity.team ?? identity.team_id} over Socket Mode; AWS is simulated on this machine (time ${run.speed ? `${run.speed}x` : 'stepped'}). Plans: ${run.plansDir}. Reports: ${sandbox.reportDir}. Ctrl-C stops.\n${warning}`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await sandbox.stop();
  for (const error of sandbox.errors) io.err(`The bot failed in the background: ${error.message}`);
  return 0;
}

/** The sample plans name made-up channels and people: say so, before someone waits in vain. */
async function sampleWarning(plansDir: string): Promise<string> {
  const plans = await new FilePlanSource(plansDir).loadAll();
  const samples = plans.filter((p) =>
    [...p.access.requesters, ...p.access.approvers].some((u) => u in SANDBOX_USERS),
  );
  if (samples.length === 0) return '';
  return `Note: ${samples.map((p) => p.customer.id).join(', ')} name the sandbox's made-up channels and users (${samples[0]?.slack.channels[0]}, U01ALICE…), which your workspace does not have: copy a plan, put your channel id and your people's user ids in it, and pass --plans <dir>.\n`;
}
